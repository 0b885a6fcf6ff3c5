// The spawn launcher: each worker is this program again, posix_spawn()ed
// from /proc/self/exe; concur::init() in its main() finds its role in the
// environment and its channels at kWorkerInFd and kWorkerOutFd.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "launcher.hpp"
#include "pidfd.hpp"
#include "worker.hpp"

extern char** environ;

namespace concur::detail {
namespace {

class SpawnLauncher final : public Launcher {
 public:
  WorkerProcess start() override {
    WorkerProcess worker;
    UniqueFd in;
    UniqueFd out;
    make_channels(worker, in, out);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in.get(), kWorkerInFd);
    posix_spawn_file_actions_adddup2(&actions, out.get(), kWorkerOutFd);
    // Exactly its own channels: whatever the host leaked without
    // close-on-exec is closed too.
    posix_spawn_file_actions_addclosefrom_np(&actions, kWorkerOutFd + 1);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);

    const std::string role = std::string(kWorkerEnv) + "=" + std::to_string(kWorkerInFd) + "," +
                             std::to_string(kWorkerOutFd) + ":" + std::to_string(::getpid());
    std::vector<char*> env;
    const std::string prefix = std::string(kWorkerEnv) + "=";
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::strncmp(*e, prefix.c_str(), prefix.size()) != 0) env.push_back(*e);
    }
    env.push_back(const_cast<char*>(role.c_str()));
    env.push_back(nullptr);
    const char* argv0 = program_argv0() != nullptr ? program_argv0() : "concur-worker";
    char* argv[] = {const_cast<char*>(argv0), nullptr};

    pid_t pid = -1;
    const int error =
        ::posix_spawn(&pid, "/proc/self/exe", &actions, &attributes, argv, env.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (error != 0) throw_broken("posix_spawn(/proc/self/exe)", error);
    worker.pid = pid;
    // Race-free: the child cannot be reaped (and its pid reused) before we
    // wait for it ourselves.
    worker.pidfd.reset(open_pidfd(pid));
    if (!worker.pidfd) {
      const int open_error = errno;
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      throw_broken("pidfd_open", open_error);
    }
    return worker;
  }

  ExitStatus reap(WorkerProcess& worker) override { return wait_pidfd(worker.pidfd.get()); }
};

}  // namespace

std::unique_ptr<Launcher> make_spawn_launcher() {
  return std::make_unique<SpawnLauncher>();
}

}  // namespace concur::detail
