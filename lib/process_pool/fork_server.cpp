// The fork server: a process forked from the program while it is still
// single-threaded, which forks every worker of every fork pool after that,
// so that no worker is ever forked from a multithreaded process.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "concur/detail/mutex.hpp"
#include "concur/detail/thread_annotations.hpp"
#include "concur/errors.hpp"
#include "launcher.hpp"
#include "pidfd.hpp"
#include "wire.hpp"
#include "worker.hpp"

namespace concur::detail {
namespace {

// become_worker: in a freshly forked child: the channels at their fixed
// descriptors, every other descriptor closed, then the worker loop.
[[noreturn]] void become_worker(int in, int out, pid_t parent) {
  ::dup2(in, kWorkerInFd);  // both are >= 10: no clobbering
  ::dup2(out, kWorkerOutFd);
  ::close_range(kWorkerOutFd + 1, ~0U, 0);
  die_with_parent(parent);
  run_worker(kWorkerInFd, kWorkerOutFd);
}

int count_threads_once() {
  DIR* dir = ::opendir("/proc/self/task");
  if (dir == nullptr) return -1;
  int threads = 0;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++threads;
  }
  ::closedir(dir);
  return threads;
}

// count_threads: the threads of this process, once the ones on their way
// out are gone. A thread that was just joined (the manager of a pool
// destroyed a moment ago) is still listed in /proc while the kernel
// finishes its exit, so a count above `allowed` is taken again for a while.
int count_threads(int allowed) {
  int threads = count_threads_once();
  for (int retry = 0; retry < 200 && threads > allowed; ++retry) {
    ::usleep(1000);
    threads = count_threads_once();
  }
  return threads;
}

// The threads a sanitizer runtime may run beside the program's:
// ThreadSanitizer starts a background thread (with the program's first
// thread) and makes fork() safe around it.
#if defined(__SANITIZE_THREAD__)
constexpr int kRuntimeThreads = 1;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr int kRuntimeThreads = 1;
#else
constexpr int kRuntimeThreads = 0;
#endif
#else
constexpr int kRuntimeThreads = 0;
#endif

// --- fork server -----------------------------------------------------------------
//
// The server is forked while the program is single-threaded and stays so.
// Protocol on its SOCK_SEQPACKET control socket:
//   us -> server: one byte, kSpawnRequest, with the worker's two socket ends
//                 (SCM_RIGHTS)
//   server -> us: Reply{spawned, pid} with a pidfd of the worker
//   server -> us: Reply{exited, pid, code, status} when a worker ends
// The server reaps its children (they are its, not ours) and exits, killing
// any left, when our end of the control socket closes.

constexpr char kSpawnRequest = 'w';  // "a worker, please"
struct Reply {
  enum Op : int { spawned = 1, exited = 2, failed = 3 };
  int op = 0;
  pid_t pid = -1;
  int code = 0;
  int status = 0;
};

// send_with_fds: one message carrying `count` descriptors (SCM_RIGHTS).
bool send_with_fds(int socket, const void* data, std::size_t size, const int* fds, int count) {
  const std::string_view bytes(static_cast<const char*>(data), size);
  long n;
  do {
    n = wire::send_some(socket, bytes, fds, static_cast<std::size_t>(count), MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<long>(size);
}

// receive_with_fds: one message and up to two descriptors it carries (the
// rest -1, any more closed); returns the bytes read, 0 at end of file, -1
// on error.
ssize_t receive_with_fds(int socket, void* data, std::size_t size, int (&fds)[2]) {
  fds[0] = fds[1] = -1;
  std::vector<int> received;
  bool truncated = false;
  long n;
  do {
    n = wire::receive_some(socket, data, size, received, truncated, 0);
  } while (n < 0 && errno == EINTR);
  for (std::size_t i = 0; i < received.size(); ++i) {
    if (i < 2) {
      fds[i] = received[i];
    } else {
      ::close(received[i]);
    }
  }
  return n;
}

// The server's loop (in the forked server process; single-threaded).
[[noreturn]] void serve_forks(int control) {
  const pid_t server = ::getpid();
  struct Child {
    pid_t pid;
    int pidfd;
  };
  std::vector<Child> children;
  for (;;) {
    std::vector<pollfd> watched{{control, POLLIN, 0}};
    for (const Child& child : children)
      watched.push_back({child.pidfd, POLLIN, 0});
    if (::poll(watched.data(), watched.size(), -1) < 0) {
      if (errno == EINTR) continue;
      std::_Exit(1);
    }
    for (std::size_t i = watched.size() - 1; i >= 1; --i) {
      if (watched[i].revents == 0) continue;
      Child child = children[i - 1];
      siginfo_t info{};
      while (::waitid(P_PIDFD, static_cast<id_t>(child.pidfd), &info, WEXITED) != 0 &&
             errno == EINTR) {
      }
      Reply reply{Reply::exited, child.pid, info.si_code, info.si_status};
      send_with_fds(control, &reply, sizeof reply, nullptr, 0);
      ::close(child.pidfd);
      children.erase(children.begin() + static_cast<std::ptrdiff_t>(i - 1));
    }
    if (watched[0].revents == 0) continue;
    char request = 0;
    int fds[2];
    const ssize_t n = receive_with_fds(control, &request, sizeof request, fds);
    if (n <= 0) {
      // The pool is gone: so are its workers.
      for (const Child& child : children) {
        signal_pidfd(child.pidfd, SIGKILL);
        siginfo_t info{};
        ::waitid(P_PIDFD, static_cast<id_t>(child.pidfd), &info, WEXITED);
      }
      std::_Exit(0);
    }
    if (request != kSpawnRequest || fds[0] < 0 || fds[1] < 0) {
      if (fds[0] >= 0) ::close(fds[0]);
      if (fds[1] >= 0) ::close(fds[1]);
      continue;
    }
    const int in = ::fcntl(fds[0], F_DUPFD_CLOEXEC, 10);
    const int out = ::fcntl(fds[1], F_DUPFD_CLOEXEC, 10);
    ::close(fds[0]);
    ::close(fds[1]);
    const pid_t pid = ::fork();
    if (pid == 0) become_worker(in, out, server);
    ::close(in);
    ::close(out);
    if (pid < 0) {
      Reply reply{Reply::failed, -1, 0, errno};
      send_with_fds(control, &reply, sizeof reply, nullptr, 0);
      continue;
    }
    const int pidfd = open_pidfd(pid);
    Reply reply{Reply::spawned, pid, 0, 0};
    send_with_fds(control, &reply, sizeof reply, &pidfd, pidfd >= 0 ? 1 : 0);
    if (pidfd < 0) continue;
    children.push_back({pid, pidfd});
  }
}

// ForkServer: one per process, shared by every fork pool alive, so a second
// pool made after the first one's threads exist still has a server.
class ForkServer {
 public:
  ForkServer() {
    // (A sanitizer's runtime thread may or may not have started yet.)
    const int threads = count_threads(1 + kRuntimeThreads);
    if (threads < 1 || threads > 1 + kRuntimeThreads) {
      throw RuntimeError(
          "ProcessPoolExecutor: StartMethod::fork needs a single-threaded process to fork its "
          "fork server from, and this one has " +
          std::to_string(threads) +
          " threads. Call concur::init(argc, argv) first thing in main() to use "
          "StartMethod::spawn, which is safe at any time, or create the pool before starting "
          "threads.");
    }
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
      throw_broken("socketpair", errno);
    }
    control_.reset(fds[0]);
    UniqueFd server_end(fds[1]);
    // What the program has buffered for stdout and stderr is written now,
    // once: otherwise the server, and every worker forked from it, would
    // inherit the buffer and write it again (Python flushes before forking
    // for the same reason).
    flush_standard_streams();
    const pid_t pid = ::fork();
    if (pid < 0) throw_broken("fork", errno);
    if (pid == 0) {
      // Keep stdio and the control socket (moved to kWorkerInFd), nothing else.
      const int control = ::fcntl(server_end.get(), F_DUPFD_CLOEXEC, 10);
      ::dup2(control, kWorkerInFd);
      ::fcntl(kWorkerInFd, F_SETFD, FD_CLOEXEC);
      ::close_range(kWorkerInFd + 1, ~0U, 0);
      name_this_process("-forksrv");
      serve_forks(kWorkerInFd);
    }
    server_pid_ = pid;
    server_pidfd_.reset(open_pidfd(pid));
  }

  ~ForkServer() {
    control_.reset();  // the server sees end of file and exits
    if (server_pidfd_) {
      wait_pidfd(server_pidfd_.get());
    } else {
      ::waitpid(server_pid_, nullptr, 0);
    }
  }

  WorkerProcess start() {
    detail::MutexLock hold(mutex_);
    WorkerProcess worker;
    UniqueFd in;
    UniqueFd out;
    make_channels(worker, in, out);
    const int ends[2] = {in.get(), out.get()};
    if (!send_with_fds(control_.get(), &kSpawnRequest, sizeof kSpawnRequest, ends, 2)) {
      dead_.store(true);
      throw_broken("the fork server is gone", errno);
    }
    in.reset();
    out.reset();
    for (;;) {
      int pidfd[2];
      const Reply reply = receive(pidfd);
      if (reply.op == Reply::spawned) {
        worker.pid = reply.pid;
        worker.pidfd.reset(pidfd[0]);
        if (!worker.pidfd) throw_broken("pidfd_open", EBADF);
        return worker;
      }
      if (reply.op == Reply::failed) throw_broken("fork", reply.status);
      if (pidfd[0] >= 0) ::close(pidfd[0]);
      exits_[reply.pid] = ExitStatus{reply.code, reply.status};
    }
  }

  ExitStatus reap(WorkerProcess& worker) {
    detail::MutexLock hold(mutex_);
    for (;;) {
      if (auto found = exits_.find(worker.pid); found != exits_.end()) {
        const ExitStatus status = found->second;
        exits_.erase(found);
        return status;
      }
      int pidfd[2];
      const Reply reply = receive(pidfd);
      if (pidfd[0] >= 0) ::close(pidfd[0]);
      if (reply.op == Reply::exited) exits_[reply.pid] = ExitStatus{reply.code, reply.status};
    }
  }

  // alive: false once the server was found dead; a new pool then starts a
  // new one.
  bool alive() const noexcept { return !dead_.load(); }

 private:
  Reply receive(int (&pidfd)[2]) {
    Reply reply;
    const ssize_t n = receive_with_fds(control_.get(), &reply, sizeof reply, pidfd);
    if (n != static_cast<ssize_t>(sizeof reply)) {
      dead_.store(true);
      throw BrokenProcessPool("the pool's fork server process (pid " + std::to_string(server_pid_) +
                              ") died");
    }
    return reply;
  }

  detail::Mutex mutex_;  // one request or wait at a time
  std::atomic<bool> dead_{false};
  UniqueFd control_;
  pid_t server_pid_ = -1;
  UniqueFd server_pidfd_;
  std::unordered_map<pid_t, ExitStatus> exits_ CONCUR_GUARDED_BY(mutex_);
};

class ForkServerLauncher final : public Launcher {
 public:
  ForkServerLauncher() {
    static detail::Mutex mutex;
    static std::weak_ptr<ForkServer> current;  // guarded by mutex
    detail::MutexLock hold(mutex);
    server_ = current.lock();
    if (!server_ || !server_->alive()) {
      server_ = std::make_shared<ForkServer>();
      current = server_;
    }
  }
  WorkerProcess start() override { return server_->start(); }
  ExitStatus reap(WorkerProcess& worker) override { return server_->reap(worker); }

 private:
  std::shared_ptr<ForkServer> server_;
};

}  // namespace

std::unique_ptr<Launcher> make_fork_server_launcher() {
  return std::make_unique<ForkServerLauncher>();
}

}  // namespace concur::detail
