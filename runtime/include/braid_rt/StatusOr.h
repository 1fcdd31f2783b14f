//===- StatusOr.h - a value or the error that prevented it ------*- C++ -*-===//

#ifndef BRAID_RT_STATUSOR_H
#define BRAID_RT_STATUSOR_H

#include "braid_rt/Status.h"

#include <cassert>
#include <optional>
#include <utility>

namespace braid_rt {

template <typename T> class [[nodiscard]] StatusOr {
public:
  StatusOr(Status status) : status_(std::move(status)) {
    assert(!status_.isOk() && "StatusOr needs a value or an error");
  }
  StatusOr(T value) : value_(std::move(value)) {}

  bool isOk() const { return status_.isOk(); }
  explicit operator bool() const { return isOk(); }
  const Status &status() const { return status_; }
  Status takeStatus() { return std::move(status_); }

  T &value() & { return *value_; }
  const T &value() const & { return *value_; }
  T &&value() && { return std::move(*value_); }
  T &operator*() { return *value_; }
  T *operator->() { return &*value_; }
  const T *operator->() const { return &*value_; }

private:
  Status status_;
  std::optional<T> value_;
};

} // namespace braid_rt

/// Returns from the enclosing function when `expr` (a Status) is an error.
#define BRAID_RT_RETURN_IF_ERROR(expr)                                         \
  do {                                                                         \
    ::braid_rt::Status braidRtStatus_ = (expr);                                \
    if (!braidRtStatus_.isOk())                                                \
      return braidRtStatus_;                                                   \
  } while (0)

#endif // BRAID_RT_STATUSOR_H
