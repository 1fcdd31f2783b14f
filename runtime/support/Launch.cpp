//===- Launch.cpp - tools that start their own MPI ranks ------------------===//

#include "Launch.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/wait.h>
#include <unistd.h>

namespace braid_rt::launch {

bool insideLaunch() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMI_SIZE") ||
         std::getenv("PMIX_RANK");
}

int launchedRank() {
  for (const char *name : {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"})
    if (const char *value = std::getenv(name))
      return std::atoi(value);
  return 0;
}

std::string defaultLauncher() {
  const char *launcher = std::getenv("BRAID_MPIRUN");
  return launcher && *launcher ? launcher : "mpirun";
}

std::string formatSeconds(double seconds) {
  char text[64];
  std::snprintf(text, sizeof(text), "%g", seconds);
  return text;
}

namespace {

pid_t launchedChild = 0;

void forwardSignal(int signal) {
  if (launchedChild > 0)
    kill(launchedChild, signal);
}

std::string selfPath(const char *argv0) {
  char path[4096];
  ssize_t length = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (length > 0) {
    path[length] = 0;
    return path;
  }
  return argv0;
}

} // namespace

int relaunchUnderMpirun(const char *tool, const Relaunch &request, int argc,
                        char **argv) {
  setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
  setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
  setenv("OPENBLAS_NUM_THREADS", "1", 0);

  std::vector<std::string> command = {"timeout",
                                      "--kill-after=10",
                                      formatSeconds(request.timeoutSeconds),
                                      request.mpirun,
                                      "--oversubscribe",
                                      "--bind-to",
                                      "none",
                                      "-np",
                                      std::to_string(request.np)};
  std::vector<std::string> exported = request.exportedEnv;
  exported.push_back("OPENBLAS_NUM_THREADS");
  for (const std::string &name : exported)
    if (std::getenv(name.c_str())) {
      command.push_back("-x");
      command.push_back(name);
    }
  command.push_back(selfPath(argv[0]));
  for (int i = 1; i < argc; ++i)
    command.push_back(argv[i]);
  std::vector<char *> commandArgv;
  for (std::string &part : command)
    commandArgv.push_back(part.data());
  commandArgv.push_back(nullptr);

  std::fflush(stdout);
  std::fflush(stderr);
  launchedChild = fork();
  if (launchedChild < 0) {
    std::fprintf(stderr, "%s: cannot start the launcher: %s\n", tool,
                 std::strerror(errno));
    return 1;
  }
  if (launchedChild == 0) {
    execvp(commandArgv[0], commandArgv.data());
    std::fprintf(stderr, "%s: cannot run '%s': %s\n", tool, commandArgv[0],
                 std::strerror(errno));
    _exit(127);
  }
  std::signal(SIGINT, forwardSignal);
  std::signal(SIGTERM, forwardSignal);
  int status = 0;
  while (waitpid(launchedChild, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

} // namespace braid_rt::launch
