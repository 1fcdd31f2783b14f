//===- StatusTest.cpp - the runtime's error values ------------------------===//
//
// Dependency-free checks so the runtime's tests run on the GPU machine too.
//
//===----------------------------------------------------------------------===//

#include "braid_rt/Status.h"

#include <cstdio>
#include <string>

static int failures = 0;

#define EXPECT(cond)                                                           \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "%s:%d: expectation failed: %s\n", __FILE__,        \
                   __LINE__, #cond);                                           \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

int main() {
  using braid_rt::Status;
  using braid_rt::StatusCode;

  Status ok = Status::ok();
  EXPECT(ok.isOk());
  EXPECT(static_cast<bool>(ok));
  EXPECT(ok.toString() == "ok");

  Status timeout =
      Status::error(StatusCode::kTimeout, "rank 3 did not answer in 30 s");
  EXPECT(!timeout.isOk());
  EXPECT(timeout.code() == StatusCode::kTimeout);
  EXPECT(timeout.toString() == "timeout: rank 3 did not answer in 30 s");

  timeout.withContext("all_reduce #7 on communicator tp");
  EXPECT(timeout.message() ==
         "all_reduce #7 on communicator tp: rank 3 did not answer in 30 s");
  EXPECT(timeout.code() == StatusCode::kTimeout);

  // Context never turns success into an error.
  Status stillOk = Status::ok();
  stillOk.withContext("ignored");
  EXPECT(stillOk.isOk() && stillOk.message().empty());

  EXPECT(std::string(braid_rt::statusCodeName(StatusCode::kPeerFailure)) ==
         "peer_failure");

  if (failures == 0)
    std::printf("braid_rt_tests: all passed\n");
  return failures == 0 ? 0 : 1;
}
