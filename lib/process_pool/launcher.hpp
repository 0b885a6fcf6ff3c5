// Launchers: how worker processes come to be (spawn or fork server), and how
// their exit status is collected. Used only from the pool's manager thread
// (and the constructor, before that thread exists).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <unordered_map>

#include "unique_fd.hpp"

namespace concur::detail {

struct WorkerProcess {
  pid_t pid = -1;
  UniqueFd pidfd;        // readable once the process has ended
  UniqueFd to_worker;    // calls go out here
  UniqueFd from_worker;  // outcomes come back here
};

// ExitStatus: how a process ended, as waitid() reports it.
struct ExitStatus {
  int code = 0;    // CLD_EXITED, CLD_KILLED or CLD_DUMPED
  int status = 0;  // the exit status or the signal number
  // describe: "exited with status 3", "was killed by signal 9 (SIGKILL)".
  std::string describe() const;
};

class Launcher {
 public:
  virtual ~Launcher() = default;
  // start: a new worker. Throws BrokenProcessPool if none can be made.
  virtual WorkerProcess start() = 0;
  // reap: waits for a worker whose pidfd is readable (or that was killed)
  // and collects its exit status; after it the process is gone.
  virtual ExitStatus reap(WorkerProcess& worker) = 0;
};

// SpawnLauncher (spawn_launcher.cpp): posix_spawn of /proc/self/exe; the child finds its channels
// at kWorkerInFd and kWorkerOutFd and its role in the environment
// (concur::init).
std::unique_ptr<Launcher> make_spawn_launcher();

// ForkServerLauncher (fork_server.cpp): forks a server now, which must be while the process
// is single-threaded (throws RuntimeError otherwise); workers are forked
// from that server.
std::unique_ptr<Launcher> make_fork_server_launcher();

// --- What both launchers use (launcher.cpp) ----------------------------------------

// throw_broken: BrokenProcessPool("cannot start a worker process: what: error").
[[noreturn]] void throw_broken(const std::string& what, int error);

// make_channels: a close-on-exec socketpair per direction, our ends in
// `worker`, the worker's in `in` and `out` (moved to descriptors >= 10, so
// placing them at kWorkerInFd and kWorkerOutFd cannot clobber one with the
// other).
void make_channels(WorkerProcess& worker, UniqueFd& in, UniqueFd& out);

// wait_pidfd: reaps the ended process behind `pidfd`.
ExitStatus wait_pidfd(int pidfd);

}  // namespace concur::detail
