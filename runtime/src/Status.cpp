//===- Status.cpp - errors as values --------------------------------------===//

#include "braid_rt/Status.h"

namespace braid_rt {

const char *statusCodeName(StatusCode code) {
  switch (code) {
  case StatusCode::kOk:
    return "ok";
  case StatusCode::kInvalidArgument:
    return "invalid_argument";
  case StatusCode::kOutOfMemory:
    return "out_of_memory";
  case StatusCode::kCommunicationError:
    return "communication_error";
  case StatusCode::kTimeout:
    return "timeout";
  case StatusCode::kPeerFailure:
    return "peer_failure";
  case StatusCode::kUnavailable:
    return "unavailable";
  case StatusCode::kInternal:
    return "internal";
  }
  return "unknown";
}

std::string Status::toString() const {
  if (isOk())
    return "ok";
  return std::string(statusCodeName(code_)) + ": " + message_;
}

Status &Status::withContext(const std::string &context) {
  if (!isOk())
    message_ = context + ": " + message_;
  return *this;
}

} // namespace braid_rt
