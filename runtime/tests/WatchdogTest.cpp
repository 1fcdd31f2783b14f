//===- WatchdogTest.cpp - bounded waits -----------------------------------===//

#include "braid_rt/Watchdog.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

using namespace braid_rt;

TEST(Watchdog, WatchExpiresAfterTheTimeout) {
  Watchdog &watchdog = Watchdog::instance();
  double saved = watchdog.timeoutSeconds();
  bool savedAbort = watchdog.abortsOnTimeout();
  watchdog.setAbortOnTimeout(false);
  watchdog.setTimeoutSeconds(0.1);
  Watchdog::Watch watch = watchdog.watch("all_reduce #3 on 'tp'",
                                         "ranks that did not arrive: 2");
  watchdog.setTimeoutSeconds(saved);
  EXPECT_TRUE(watch.check().isOk());
  EXPECT_FALSE(watch.expired());
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  // The watchdog's own thread marks it, without the owner checking.
  EXPECT_TRUE(watch.expired());
  Status status = watch.check();
  EXPECT_EQ(status.code(), StatusCode::kTimeout);
  EXPECT_EQ(status.message(), "all_reduce #3 on 'tp' did not complete within "
                              "0.1 s; ranks that did not arrive: 2");
  watchdog.setAbortOnTimeout(savedAbort);
}

TEST(Watchdog, ReleasedWatchNeverExpires) {
  Watchdog &watchdog = Watchdog::instance();
  double saved = watchdog.timeoutSeconds();
  watchdog.setTimeoutSeconds(0.05);
  Watchdog::Watch watch = watchdog.watch("short wait");
  watchdog.setTimeoutSeconds(saved);
  watch.release();
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  EXPECT_FALSE(watch.expired());
  EXPECT_TRUE(watch.check().isOk());
}

TEST(Watchdog, AbortHandlerEndsTheProcess) {
  // The watchdog's thread must exist in the child: re-run the binary
  // instead of forking this (threaded) process.
  ::testing::FLAGS_gtest_death_test_style = "threadsafe";
  EXPECT_EXIT(
      {
        Watchdog &watchdog = Watchdog::instance();
        watchdog.setAbortOnTimeout(true);
        watchdog.setProcessLabel("rank 5");
        watchdog.setAbortHandler([] { std::_Exit(42); });
        watchdog.setTimeoutSeconds(0.05);
        Watchdog::Watch watch =
            watchdog.watch("barrier #0", "ranks that did not arrive: 1");
        // The owner is stuck elsewhere; the watchdog thread acts.
        std::this_thread::sleep_for(std::chrono::seconds(10));
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(42),
      "braid_rt: rank 5: barrier #0 did not complete within 0.05 s; ranks "
      "that did not arrive: 1; aborting the job");
}
