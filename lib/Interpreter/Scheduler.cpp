//===- Scheduler.cpp - seeded interleaving of ranks and streams -----------===//

#include "braid/Interpreter/Scheduler.h"

using namespace mlir::braid::interp;

Scheduler::~Scheduler() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    abortedFlag = true;
  }
  turnChanged.notify_all();
  for (std::thread &thread : threads)
    if (thread.joinable())
      thread.join();
}

int Scheduler::spawn(std::string name, TaskFn fn) {
  std::unique_lock<std::mutex> lock(mutex, std::defer_lock);
  // A running task holds the baton but not the mutex.
  lock.lock();
  int id = tasks.size();
  tasks.push_back(Task{std::move(name), std::move(fn)});
  if (running)
    startThread(id);
  return id;
}

void Scheduler::startThread(int id) {
  threads.emplace_back([this, id] {
    std::unique_lock<std::mutex> lock(mutex);
    turnChanged.wait(lock, [&] { return current == id || abortedFlag; });
    if (!abortedFlag) {
      TaskFn fn = tasks[id].fn;
      lock.unlock();
      fn(id);
      lock.lock();
    }
    tasks[id].state = State::Done;
    if (abortedFlag) {
      turnChanged.notify_all();
      return;
    }
    current = pickNext();
    if (current < 0) {
      bool anyLeft = false;
      for (const Task &task : tasks)
        anyLeft |= task.state != State::Done;
      if (anyLeft) {
        describeStuck();
        abortedFlag = true;
      }
    }
    turnChanged.notify_all();
  });
}

int Scheduler::pickNext() {
  std::vector<int> eligible;
  for (int id = 0, e = tasks.size(); id < e; ++id) {
    Task &task = tasks[id];
    if (task.state == State::Runnable ||
        (task.state == State::Waiting && task.ready()))
      eligible.push_back(id);
  }
  if (eligible.empty())
    return -1;
  return eligible[std::uniform_int_distribution<size_t>(
      0, eligible.size() - 1)(rng)];
}

void Scheduler::describeStuck() {
  deadlockReport = "no task can make progress:";
  for (const Task &task : tasks)
    if (task.state == State::Waiting)
      deadlockReport += "\n  " + task.name + " waits for " + task.waitingFor;
}

bool Scheduler::handOff(std::unique_lock<std::mutex> &lock, int self) {
  int next = pickNext();
  if (next < 0) {
    describeStuck();
    abortedFlag = true;
    turnChanged.notify_all();
    return false;
  }
  current = next;
  if (next != self) {
    turnChanged.notify_all();
    turnChanged.wait(lock, [&] { return current == self || abortedFlag; });
  }
  if (abortedFlag)
    return false;
  tasks[self].state = State::Runnable;
  return true;
}

bool Scheduler::yield(int self) {
  std::unique_lock<std::mutex> lock(mutex);
  if (abortedFlag)
    return false;
  return handOff(lock, self);
}

bool Scheduler::waitUntil(int self, std::function<bool()> ready,
                          std::string waitingFor) {
  std::unique_lock<std::mutex> lock(mutex);
  if (abortedFlag)
    return false;
  if (ready())
    return true;
  Task &task = tasks[self];
  task.state = State::Waiting;
  task.ready = std::move(ready);
  task.waitingFor = std::move(waitingFor);
  return handOff(lock, self);
}

void Scheduler::abort() {
  std::lock_guard<std::mutex> lock(mutex);
  abortedFlag = true;
  turnChanged.notify_all();
}

bool Scheduler::run(std::string &deadlock) {
  {
    std::unique_lock<std::mutex> lock(mutex);
    running = true;
    for (int id = 0, e = tasks.size(); id < e; ++id)
      startThread(id);
    current = pickNext();
    turnChanged.notify_all();
  }
  // Threads may be added while running; join until none is left.
  for (size_t joined = 0;;) {
    std::thread thread;
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (joined == threads.size())
        break;
      thread = std::move(threads[joined++]);
    }
    thread.join();
  }
  deadlock = deadlockReport;
  return !abortedFlag;
}
