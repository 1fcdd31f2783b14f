//===- Watchdog.cpp - bounded waits for the whole process -----------------===//

#include "braid_rt/Watchdog.h"

#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <list>
#include <map>
#include <mutex>
#include <thread>
#include <time.h>
#include <unistd.h>
#include <vector>

namespace braid_rt {

struct Watchdog::Entry {
  uint64_t id = 0;
  std::string what;
  std::string waitingFor; // guarded by Impl::mu
  Clock::time_point start;
  Clock::time_point deadline;
  double timeoutS = 0;
  bool blocking = false;
  std::atomic<bool> expired{false};
  std::atomic<bool> reported{false};
};

namespace {

double initialTimeout() {
  if (const char *env = std::getenv("BRAID_RT_TIMEOUT_S")) {
    char *end = nullptr;
    double value = std::strtod(env, &end);
    if (end != env && value > 0)
      return value;
    std::fprintf(stderr,
                 "braid_rt: ignoring BRAID_RT_TIMEOUT_S='%s' (want seconds > "
                 "0); using 60\n",
                 env);
  }
  return 60.0;
}

bool initialAbort() {
  const char *env = std::getenv("BRAID_RT_ON_TIMEOUT");
  return !(env && std::strcmp(env, "error") == 0);
}

// What the SIGTERM handler prints: two buffers, the handler reads the one
// `currentReport` names while the other is rewritten.
constexpr size_t kReportBytes = 8192;
char reportBuffers[2][kReportBytes];
size_t reportLengths[2];
std::atomic<int> currentReport{0};
struct sigaction previousTermAction;

void onTerminate(int signal) {
  int index = currentReport.load(std::memory_order_acquire);
  if (reportLengths[index] > 0) {
    ssize_t ignored = write(STDERR_FILENO, reportBuffers[index],
                            reportLengths[index]);
    (void)ignored;
    // Launchers forward output asynchronously and drop what a process
    // wrote just before dying: give them a moment (they SIGKILL after
    // about a second anyway).
    timespec pause{0, 300 * 1000 * 1000};
    nanosleep(&pause, nullptr);
  }
  sigaction(signal, &previousTermAction, nullptr);
  raise(signal);
}

std::string formatSeconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", seconds);
  return text;
}

} // namespace

struct Watchdog::Impl {
  mutable std::mutex mu;
  std::condition_variable cv;
  std::map<uint64_t, std::shared_ptr<Entry>> entries;
  std::list<std::function<bool()>> pollers;
  uint64_t nextId = 1;
  bool threadStarted = false;
  std::atomic<double> timeoutS{initialTimeout()};
  std::atomic<bool> abortOnTimeout{initialAbort()};
  std::atomic<bool> anyExpired{false};
  std::function<void()> abortHandler;
  std::string label = "process " + std::to_string(getpid());
  bool signalReportInstalled = false;

  void startThreadLocked() {
    if (threadStarted)
      return;
    threadStarted = true;
    std::thread([this] { run(); }).detach();
  }

  std::chrono::milliseconds tick() const {
    double ms = timeoutS.load() * 1000.0 / 20.0;
    return std::chrono::milliseconds(
        static_cast<int64_t>(std::clamp(ms, 10.0, 100.0)));
  }

  void run() {
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      cv.wait_for(lock, tick());
      // Pollers may release watches, which takes the lock.
      std::vector<std::list<std::function<bool()>>::iterator> done;
      for (auto it = pollers.begin(); it != pollers.end(); ++it) {
        std::function<bool()> &poller = *it;
        lock.unlock();
        bool keep = poller();
        lock.lock();
        if (!keep)
          done.push_back(it);
      }
      for (auto it : done)
        pollers.erase(it);
      auto now = Clock::now();
      std::vector<std::shared_ptr<Entry>> due;
      for (auto &[id, entry] : entries)
        if (now >= entry->deadline && !entry->reported.load())
          due.push_back(entry);
      lock.unlock();
      for (auto &entry : due)
        (void)expire(*entry);
      lock.lock();
    }
  }

  std::string timeoutMessage(const Entry &entry) {
    std::string message = entry.what + " did not complete within " +
                          formatSeconds(entry.timeoutS) + " s";
    std::lock_guard<std::mutex> lock(mu);
    if (!entry.waitingFor.empty())
      message += "; " + entry.waitingFor;
    return message;
  }

  Status expire(Entry &entry) {
    entry.expired.store(true);
    anyExpired.store(true);
    std::string message = timeoutMessage(entry);
    if (!entry.reported.exchange(true)) {
      std::string who;
      std::function<void()> handler;
      {
        std::lock_guard<std::mutex> lock(mu);
        who = label;
        if (abortOnTimeout.load() || entry.blocking)
          handler = abortHandler;
      }
      std::fprintf(stderr, "braid_rt: %s: %s%s\n", who.c_str(),
                   message.c_str(), handler ? "; aborting the job" : "");
      std::fflush(stderr);
      if (handler) {
        handler();
        std::_Exit(kExitCode);
      }
    }
    return Status::error(StatusCode::kTimeout, message);
  }

  void rebuildReportLocked() {
    std::string text;
    for (auto &[id, entry] : entries) {
      text += "braid_rt: " + label + ": terminated while in " + entry->what;
      if (!entry->waitingFor.empty())
        text += "; " + entry->waitingFor;
      text += "\n";
    }
    int next = 1 - currentReport.load(std::memory_order_relaxed);
    size_t length = std::min(text.size(), kReportBytes);
    std::memcpy(reportBuffers[next], text.data(), length);
    reportLengths[next] = length;
    currentReport.store(next, std::memory_order_release);
  }
};

Watchdog &Watchdog::instance() {
  // Never destroyed: its thread is detached and may outlive static
  // destructors.
  static Watchdog *watchdog = new Watchdog();
  return *watchdog;
}

Watchdog::Watchdog() : impl_(std::make_unique<Impl>()) {}
Watchdog::~Watchdog() = default;

double Watchdog::timeoutSeconds() const { return impl_->timeoutS.load(); }
void Watchdog::setTimeoutSeconds(double seconds) {
  impl_->timeoutS.store(seconds);
}
bool Watchdog::abortsOnTimeout() const { return impl_->abortOnTimeout.load(); }
void Watchdog::setAbortOnTimeout(bool abort) {
  impl_->abortOnTimeout.store(abort);
}

void Watchdog::setAbortHandler(std::function<void()> handler) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->abortHandler = std::move(handler);
}

void Watchdog::setProcessLabel(std::string label) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->label = std::move(label);
  impl_->rebuildReportLocked();
}

std::string Watchdog::processLabel() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->label;
}

void Watchdog::installSignalReport() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (impl_->signalReportInstalled)
    return;
  impl_->signalReportInstalled = true;
  struct sigaction action;
  std::memset(&action, 0, sizeof(action));
  action.sa_handler = onTerminate;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, &previousTermAction);
}

void Watchdog::addPoller(std::function<bool()> poller) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->pollers.push_back(std::move(poller));
  impl_->startThreadLocked();
}

Status Watchdog::reportFailure(StatusCode code, const std::string &message) {
  impl_->anyExpired.store(true);
  std::string who;
  std::function<void()> handler;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    who = impl_->label;
    if (impl_->abortOnTimeout.load())
      handler = impl_->abortHandler;
  }
  std::fprintf(stderr, "braid_rt: %s: %s%s\n", who.c_str(), message.c_str(),
               handler ? "; aborting the job" : "");
  std::fflush(stderr);
  if (handler) {
    handler();
    std::_Exit(kExitCode);
  }
  return Status::error(code, message);
}

Watchdog::Watch Watchdog::watchBlocking(std::string what) {
  Watch watch = this->watch(std::move(what));
  watch.entry_->blocking = true;
  return watch;
}

bool Watchdog::anyExpired() const { return impl_->anyExpired.load(); }

Watchdog::Watch Watchdog::watch(std::string what, std::string waitingFor) {
  auto entry = std::make_shared<Entry>();
  entry->what = std::move(what);
  entry->waitingFor = std::move(waitingFor);
  entry->timeoutS = impl_->timeoutS.load();
  entry->start = Clock::now();
  entry->deadline =
      entry->start + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(entry->timeoutS));
  std::lock_guard<std::mutex> lock(impl_->mu);
  entry->id = impl_->nextId++;
  impl_->entries.emplace(entry->id, entry);
  impl_->rebuildReportLocked();
  impl_->startThreadLocked();
  return Watch(std::move(entry));
}

Watchdog::Watch::Watch(Watch &&other) noexcept
    : entry_(std::move(other.entry_)) {}

Watchdog::Watch &Watchdog::Watch::operator=(Watch &&other) noexcept {
  if (this != &other) {
    release();
    entry_ = std::move(other.entry_);
  }
  return *this;
}

Watchdog::Watch::~Watch() { release(); }

void Watchdog::Watch::release() {
  if (!entry_)
    return;
  Impl &impl = *Watchdog::instance().impl_;
  std::lock_guard<std::mutex> lock(impl.mu);
  impl.entries.erase(entry_->id);
  impl.rebuildReportLocked();
  entry_.reset();
}

Watchdog::Clock::time_point Watchdog::Watch::deadline() const {
  return entry_ ? entry_->deadline : Clock::time_point::max();
}

void Watchdog::Watch::setWaitingFor(std::string waitingFor) {
  if (!entry_)
    return;
  Impl &impl = *Watchdog::instance().impl_;
  std::lock_guard<std::mutex> lock(impl.mu);
  if (entry_->waitingFor == waitingFor)
    return;
  entry_->waitingFor = std::move(waitingFor);
  impl.rebuildReportLocked();
}

bool Watchdog::Watch::expired() const {
  return entry_ && entry_->expired.load();
}

Status Watchdog::Watch::expire() {
  if (!entry_)
    return Status::error(StatusCode::kInternal, "expiring an empty watch");
  return Watchdog::instance().impl_->expire(*entry_);
}

Status Watchdog::Watch::check() {
  if (entry_ && (entry_->expired.load() || Clock::now() >= entry_->deadline))
    return expire();
  return Status::ok();
}

} // namespace braid_rt
