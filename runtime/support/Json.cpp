//===- Json.cpp - a small JSON document model for the runtime's tools -----===//

#include "Json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace braid_rt::json {

Value *Value::find(const std::string &key) {
  for (Member &member : members_)
    if (member.first == key)
      return &member.second;
  return nullptr;
}

const Value *Value::find(const std::string &key) const {
  for (const Member &member : members_)
    if (member.first == key)
      return &member.second;
  return nullptr;
}

Value &Value::operator[](const std::string &key) {
  if (kind_ == Kind::Null)
    kind_ = Kind::Object;
  if (Value *existing = find(key))
    return *existing;
  members_.emplace_back(key, Value());
  return members_.back().second;
}

void Value::erase(const std::string &key) {
  for (auto it = members_.begin(); it != members_.end(); ++it)
    if (it->first == key) {
      members_.erase(it);
      return;
    }
}

namespace {

class Parser {
public:
  Parser(const std::string &text) : text(text) {}

  bool run(Value &out, std::string &error) {
    skipSpace();
    if (!value(out, 0)) {
      error = message;
      return false;
    }
    skipSpace();
    if (at != text.size()) {
      fail("unexpected text after the value");
      error = message;
      return false;
    }
    return true;
  }

private:
  const std::string &text;
  size_t at = 0;
  std::string message;

  bool fail(const std::string &what) {
    int line = 1, column = 1;
    for (size_t i = 0; i < at && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    message = "line " + std::to_string(line) + ", column " +
              std::to_string(column) + ": " + what;
    return false;
  }

  void skipSpace() {
    while (at < text.size() && (text[at] == ' ' || text[at] == '\t' ||
                                text[at] == '\n' || text[at] == '\r'))
      ++at;
  }

  bool literal(const char *word) {
    size_t length = std::char_traits<char>::length(word);
    if (text.compare(at, length, word) != 0)
      return false;
    at += length;
    return true;
  }

  bool value(Value &out, int depth) {
    if (depth > 256)
      return fail("nested too deeply");
    if (at >= text.size())
      return fail("expected a value, found the end");
    char c = text[at];
    if (c == '{')
      return object(out, depth);
    if (c == '[')
      return array(out, depth);
    if (c == '"') {
      std::string s;
      if (!string(s))
        return false;
      out = Value(std::move(s));
      return true;
    }
    if (literal("true")) {
      out = Value(true);
      return true;
    }
    if (literal("false")) {
      out = Value(false);
      return true;
    }
    if (literal("null")) {
      out = Value();
      return true;
    }
    if (c == '-' || (c >= '0' && c <= '9'))
      return number(out);
    return fail(std::string("unexpected '") + c + "'");
  }

  bool number(Value &out) {
    size_t start = at;
    if (text[at] == '-')
      ++at;
    auto digits = [&] {
      size_t first = at;
      while (at < text.size() && text[at] >= '0' && text[at] <= '9')
        ++at;
      return at > first;
    };
    if (!digits())
      return fail("expected digits");
    if (at < text.size() && text[at] == '.') {
      ++at;
      if (!digits())
        return fail("expected digits after '.'");
    }
    if (at < text.size() && (text[at] == 'e' || text[at] == 'E')) {
      ++at;
      if (at < text.size() && (text[at] == '+' || text[at] == '-'))
        ++at;
      if (!digits())
        return fail("expected an exponent");
    }
    out = Value(std::strtod(text.substr(start, at - start).c_str(), nullptr));
    return true;
  }

  static void appendUtf8(std::string &out, uint32_t code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xc0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xe0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (code & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (code & 0x3f));
    }
  }

  bool hex4(uint32_t &code) {
    if (at + 4 > text.size())
      return fail("expected four hex digits");
    code = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text[at++];
      code <<= 4;
      if (c >= '0' && c <= '9')
        code |= c - '0';
      else if (c >= 'a' && c <= 'f')
        code |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        code |= c - 'A' + 10;
      else
        return fail("expected four hex digits");
    }
    return true;
  }

  bool string(std::string &out) {
    ++at; // the opening quote
    while (true) {
      if (at >= text.size())
        return fail("unterminated string");
      char c = text[at++];
      if (c == '"')
        return true;
      if (static_cast<unsigned char>(c) < 0x20)
        return fail("control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (at >= text.size())
        return fail("unterminated string");
      char escaped = text[at++];
      switch (escaped) {
      case '"':
      case '\\':
      case '/':
        out += escaped;
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        uint32_t code = 0;
        if (!hex4(code))
          return false;
        if (code >= 0xd800 && code < 0xdc00) {
          uint32_t low = 0;
          if (!literal("\\u") || !hex4(low) || low < 0xdc00 || low >= 0xe000)
            return fail("unpaired surrogate in a string");
          code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        }
        appendUtf8(out, code);
        break;
      }
      default:
        --at;
        return fail(std::string("unknown escape '\\") + escaped + "'");
      }
    }
  }

  bool array(Value &out, int depth) {
    ++at;
    out = Value::array();
    skipSpace();
    if (at < text.size() && text[at] == ']') {
      ++at;
      return true;
    }
    while (true) {
      skipSpace();
      Value item;
      if (!value(item, depth + 1))
        return false;
      out.push(std::move(item));
      skipSpace();
      if (at < text.size() && text[at] == ',') {
        ++at;
        continue;
      }
      if (at < text.size() && text[at] == ']') {
        ++at;
        return true;
      }
      return fail("expected ',' or ']'");
    }
  }

  bool object(Value &out, int depth) {
    ++at;
    out = Value::object();
    skipSpace();
    if (at < text.size() && text[at] == '}') {
      ++at;
      return true;
    }
    while (true) {
      skipSpace();
      if (at >= text.size() || text[at] != '"')
        return fail("expected a key in quotes");
      std::string key;
      if (!string(key))
        return false;
      skipSpace();
      if (at >= text.size() || text[at] != ':')
        return fail("expected ':'");
      ++at;
      skipSpace();
      Value member;
      if (!value(member, depth + 1))
        return false;
      if (out.find(key))
        return fail("duplicate key '" + key + "'");
      out[key] = std::move(member);
      skipSpace();
      if (at < text.size() && text[at] == ',') {
        ++at;
        continue;
      }
      if (at < text.size() && text[at] == '}') {
        ++at;
        return true;
      }
      return fail("expected ',' or '}'");
    }
  }
};

void writeString(std::string &out, const std::string &text) {
  out += '"';
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    char escape[16];
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20) {
      std::snprintf(escape, sizeof(escape), "\\u%04x", c);
      out += escape;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      // UTF-8 to a code point, written as \uXXXX (a surrogate pair above
      // the BMP); a malformed byte is written as its own code point.
      uint32_t code = c;
      int extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
      if (extra && i + extra < text.size()) {
        code = c & (0x3f >> extra);
        for (int k = 1; k <= extra; ++k)
          code = (code << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3f);
        i += extra;
      }
      if (code >= 0x10000) {
        code -= 0x10000;
        std::snprintf(escape, sizeof(escape), "\\u%04x\\u%04x",
                      0xd800 + (code >> 10), 0xdc00 + (code & 0x3ff));
      } else {
        std::snprintf(escape, sizeof(escape), "\\u%04x", code);
      }
      out += escape;
    }
  }
  out += '"';
}

void writeNumber(std::string &out, double value) {
  if (!std::isfinite(value)) {
    out += "null"; // JSON has no inf or NaN
    return;
  }
  char text[64];
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(text, sizeof(text), "%.0f", value);
  } else {
    for (int digits = 6; digits <= 17; ++digits) {
      std::snprintf(text, sizeof(text), "%.*g", digits, value);
      if (std::strtod(text, nullptr) == value)
        break;
    }
  }
  out += text;
}

void writeValue(std::string &out, const Value &value, int indent) {
  std::string pad(indent + 2, ' ');
  switch (value.kind()) {
  case Value::Kind::Null:
    out += "null";
    return;
  case Value::Kind::Bool:
    out += value.boolean() ? "true" : "false";
    return;
  case Value::Kind::Number:
    writeNumber(out, value.number());
    return;
  case Value::Kind::String:
    writeString(out, value.string());
    return;
  case Value::Kind::Array:
    if (value.items().empty()) {
      out += "[]";
      return;
    }
    out += "[\n";
    for (size_t i = 0; i < value.items().size(); ++i) {
      out += pad;
      writeValue(out, value.items()[i], indent + 2);
      out += i + 1 < value.items().size() ? ",\n" : "\n";
    }
    out += std::string(indent, ' ') + "]";
    return;
  case Value::Kind::Object:
    if (value.members().empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    for (size_t i = 0; i < value.members().size(); ++i) {
      out += pad;
      writeString(out, value.members()[i].first);
      out += ": ";
      writeValue(out, value.members()[i].second, indent + 2);
      out += i + 1 < value.members().size() ? ",\n" : "\n";
    }
    out += std::string(indent, ' ') + "}";
    return;
  }
}

} // namespace

bool parse(const std::string &text, Value &out, std::string &error) {
  return Parser(text).run(out, error);
}

std::string write(const Value &value) {
  std::string out;
  writeValue(out, value, 0);
  out += "\n";
  return out;
}

} // namespace braid_rt::json
