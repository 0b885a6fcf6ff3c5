// What both launchers share: the worker's channels, waiting on a pidfd,
// and describing how a process ended.
#include "launcher.hpp"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "concur/errors.hpp"

namespace concur::detail {

void throw_broken(const std::string& what, int error) {
  throw BrokenProcessPool("cannot start a worker process: " + what + ": " + std::strerror(error));
}

namespace {

// above: `fd` moved to a descriptor >= 10, still close-on-exec, so that
// moving the worker's ends to kWorkerInFd and kWorkerOutFd cannot clobber
// one with the other.
UniqueFd above(UniqueFd fd) {
  UniqueFd moved(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 10));
  if (!moved) throw_broken("fcntl", errno);
  return moved;
}

}  // namespace

void make_channels(WorkerProcess& worker, UniqueFd& in, UniqueFd& out) {
  int down[2];
  int up[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, down) != 0) {
    throw_broken("socketpair", errno);
  }
  worker.to_worker.reset(down[0]);
  in = above(UniqueFd(down[1]));
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, up) != 0) {
    throw_broken("socketpair", errno);
  }
  worker.from_worker.reset(up[0]);
  out = above(UniqueFd(up[1]));
}

ExitStatus wait_pidfd(int pidfd) {
  siginfo_t info{};
  while (::waitid(P_PIDFD, static_cast<id_t>(pidfd), &info, WEXITED) != 0) {
    if (errno == EINTR) continue;
    // ECHILD: someone else reaped it (a waitpid(-1) loop or SIGCHLD ignored).
    return ExitStatus{CLD_EXITED, -1};
  }
  return ExitStatus{info.si_code, info.si_status};
}

std::string ExitStatus::describe() const {
  if (code == CLD_EXITED) {
    if (status < 0) return "ended (its exit status was collected by someone else)";
    return "exited with status " + std::to_string(status);
  }
  const char* name = ::sigabbrev_np(status);
  std::string text = "was killed by signal " + std::to_string(status);
  if (name != nullptr) text += " (SIG" + std::string(name) + ")";
  if (code == CLD_DUMPED) text += ", core dumped";
  return text;
}

}  // namespace concur::detail
