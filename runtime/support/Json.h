//===- Json.h - a small JSON document model for the runtime's tools -------===//
//
// The runtime builds without LLVM, so its tools (braid-calibrate) read and
// write JSON with this: values of the six JSON kinds, objects that keep
// their keys in insertion order (files come back out in the order they were
// read), a strict parser and an indented writer that escapes non-ASCII as
// \uXXXX.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_SUPPORT_JSON_H
#define BRAID_RT_SUPPORT_JSON_H

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace braid_rt::json {

class Value {
public:
  enum class Kind { Null, Bool, Number, String, Array, Object };
  using Member = std::pair<std::string, Value>;

  Value() = default;
  Value(bool value) : kind_(Kind::Bool), boolean_(value) {}
  Value(double value) : kind_(Kind::Number), number_(value) {}
  Value(int value) : Value(static_cast<double>(value)) {}
  Value(int64_t value) : Value(static_cast<double>(value)) {}
  Value(const char *value) : kind_(Kind::String), string_(value) {}
  Value(std::string value) : kind_(Kind::String), string_(std::move(value)) {}
  static Value array() { return Value(Kind::Array); }
  static Value object() { return Value(Kind::Object); }

  Kind kind() const { return kind_; }
  bool isNull() const { return kind_ == Kind::Null; }
  bool isNumber() const { return kind_ == Kind::Number; }
  bool isString() const { return kind_ == Kind::String; }
  bool isArray() const { return kind_ == Kind::Array; }
  bool isObject() const { return kind_ == Kind::Object; }

  bool boolean() const { return boolean_; }
  double number() const { return number_; }
  const std::string &string() const { return string_; }
  std::vector<Value> &items() { return items_; }
  const std::vector<Value> &items() const { return items_; }
  std::vector<Member> &members() { return members_; }
  const std::vector<Member> &members() const { return members_; }

  /// The member `key` of an object, or null when absent (or not an object).
  Value *find(const std::string &key);
  const Value *find(const std::string &key) const;
  /// The member `key`, appended as null when absent; makes a null value an
  /// object first.
  Value &operator[](const std::string &key);
  /// Removes member `key` if present.
  void erase(const std::string &key);
  void push(Value value) { items_.push_back(std::move(value)); }

private:
  explicit Value(Kind kind) : kind_(kind) {}

  Kind kind_ = Kind::Null;
  bool boolean_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<Value> items_;
  std::vector<Member> members_;
};

/// Parses `text` (one JSON value, nothing but white space after it). On
/// failure `error` says what was expected and at which line and column.
bool parse(const std::string &text, Value &out, std::string &error);
/// `value` indented by two spaces per level, a newline at the end. Integral
/// numbers print without a fraction; others with the fewest digits that
/// read back to the same double.
std::string write(const Value &value);

} // namespace braid_rt::json

#endif // BRAID_RT_SUPPORT_JSON_H
