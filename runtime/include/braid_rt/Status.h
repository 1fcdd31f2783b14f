//===- Status.h - errors as values ------------------------------*- C++ -*-===//
//
// Every runtime call that can fail returns a Status: a code and a message a
// user can act on. The runtime never aborts and never throws across its API.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_STATUS_H
#define BRAID_RT_STATUS_H

#include <string>
#include <utility>

namespace braid_rt {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,
  kOutOfMemory,
  kCommunicationError,
  kTimeout,
  kPeerFailure,
  kUnavailable,
  kInternal,
};

/// Short stable name of a code ("ok", "invalid_argument", ...).
const char *statusCodeName(StatusCode code);

class [[nodiscard]] Status {
public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status error(StatusCode code, std::string message) {
    return Status(code, std::move(message));
  }

  bool isOk() const { return code_ == StatusCode::kOk; }
  explicit operator bool() const { return isOk(); }
  StatusCode code() const { return code_; }
  const std::string &message() const { return message_; }
  /// "<code>: <message>", or "ok".
  std::string toString() const;

  /// Adds what the caller was doing in front of the message, keeping the
  /// code: "loading plan: open failed: ...".
  Status &withContext(const std::string &context);

private:
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

} // namespace braid_rt

#endif // BRAID_RT_STATUS_H
