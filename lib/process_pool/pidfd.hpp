// pidfd system calls. glibc 2.36's <sys/pidfd.h> lacks C++ linkage, so we
// make the calls ourselves.
#pragma once

#include <signal.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

namespace concur::detail {

// open_pidfd: a close-on-exec descriptor for process `pid`, or -1.
inline int open_pidfd(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

// signal_pidfd: sends `signal` to the process; a process already gone is
// not an error (that is the point of pidfds: no pid-reuse race).
inline void signal_pidfd(int pidfd, int signal) {
  ::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0);
}

}  // namespace concur::detail
