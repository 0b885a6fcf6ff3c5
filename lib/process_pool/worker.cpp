#include "worker.hpp"

#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "concur/detail/code_address.hpp"
#include "concur/detail/remote_call.hpp"
#include "concur/process_pool_executor.hpp"
#include "wire.hpp"

namespace concur::detail {
namespace {

std::atomic<bool> init_called{false};
const char* saved_argv0 = nullptr;

// Set before main() when the environment says this process was spawned as
// a worker; cleared by concur::init() diverting into the worker.
bool spawned_unhooked = false;

constexpr const char* kUnhookedMessage =
    "concur: this process (pid %d) was started as a ProcessPoolExecutor worker, but main() did "
    "not call concur::init(argc, argv) before %s. Call concur::init(argc, argv) first thing in "
    "main(), or use StartMethod::fork.\n";

// The recursion guard: a spawned worker that runs off the end of main()
// (never having reached concur::init) says why and fails, so the parent
// sees it exit with status 127.
struct UnhookedWorkerGuard {
  UnhookedWorkerGuard() {
    if (std::getenv(kWorkerEnv) == nullptr) return;
    spawned_unhooked = true;
    std::atexit([] {
      if (!spawned_unhooked) return;
      std::fprintf(stderr, kUnhookedMessage, static_cast<int>(::getpid()), "returning");
      std::_Exit(127);
    });
  }
} const unhooked_worker_guard;

// exit_worker: leaves without running the program's atexit handlers or
// static destructors (they belong to the parent's program), writing only
// what the worker itself printed (a fork worker inherited empty buffers).
[[noreturn]] void exit_worker(int status) {
  flush_standard_streams();
  std::_Exit(status);
}

bool send_frame(int channel, wire::Kind kind, std::uint64_t id, std::string_view payload) {
  std::string frame;
  wire::append_frame(frame, kind, id, payload);
  return wire::write_all(channel, frame);
}

// ChannelReader: buffered reads from the parent, so a small task costs one
// read() rather than one for its header and one for its payload.
class ChannelReader {
 public:
  explicit ChannelReader(int channel) : channel_(channel), buffer_(1 << 16) {}

  // read_frame: the next frame from the parent; false at end of file.
  bool read_frame(wire::Header& header, std::string& payload) {
    char bytes[sizeof(wire::Header)];
    if (!read(bytes, sizeof bytes)) return false;
    try {
      ByteReader in(std::string_view(bytes, sizeof bytes));
      header = wire::decode_header(in, wire::Sender::parent);
    } catch (const ValueError& e) {
      std::fprintf(stderr, "concur worker %d: corrupt frame from the parent: %s\n", ::getpid(),
                   e.what());
      exit_worker(126);
    }
    payload.resize(static_cast<std::size_t>(header.size));
    return read(payload.data(), payload.size());
  }

 private:
  bool read(void* data, std::size_t size) {
    auto* out = static_cast<char*>(data);
    while (size > 0) {
      if (begin_ == end_) {
        // A large read goes straight to its destination.
        if (size >= buffer_.size()) return wire::read_exact(channel_, out, size);
        const ssize_t n = fill();
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        begin_ = 0;
        end_ = static_cast<std::size_t>(n);
      }
      const std::size_t take = std::min(size, end_ - begin_);
      std::memcpy(out, buffer_.data() + begin_, take);
      begin_ += take;
      out += take;
      size -= take;
    }
    return true;
  }

  // fill: reads what has arrived. Before sleeping in read() it polls for a
  // short while: the next call is usually on its way (the parent sends it
  // on seeing the last outcome), and on a virtual machine a sleep and
  // wake-up can cost far more than the call.
  ssize_t fill() {
    const auto give_up = std::chrono::steady_clock::now() + kPollBeforeSleep;
    do {
      const ssize_t n = ::recv(channel_, buffer_.data(), buffer_.size(), MSG_DONTWAIT);
      if (n >= 0 || (errno != EAGAIN && errno != EINTR)) return n;
      ::sched_yield();
    } while (std::chrono::steady_clock::now() < give_up);
    return ::read(channel_, buffer_.data(), buffer_.size());
  }

  static constexpr auto kPollBeforeSleep = std::chrono::microseconds(50);

  int channel_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace

void flush_standard_streams() noexcept {
  std::fflush(nullptr);
  try {
    std::cout.flush();
    std::cerr.flush();
    std::clog.flush();
  } catch (...) {
    // A stream set to throw on failure: nothing more can be done for it.
  }
}

void name_this_process(const char* role) noexcept {
  const char* path = saved_argv0 != nullptr ? saved_argv0 : "concur";
  const char* slash = std::strrchr(path, '/');
  const std::string program = slash != nullptr ? slash + 1 : path;
  const std::size_t role_length = std::strlen(role);
  const std::size_t keep = role_length < 15 ? 15 - role_length : 0;
  const std::string name = program.substr(0, keep) + role;
  ::prctl(PR_SET_NAME, name.c_str(), 0, 0, 0);
}

void die_with_parent(int expected_parent) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != expected_parent) exit_worker(0);  // the parent died before prctl
}

void run_worker(int in, int out) {
  spawned_unhooked = false;
  name_this_process("-worker");
  ChannelReader reader(in);
  wire::Header header;
  std::string payload;
  if (!reader.read_frame(header, payload)) exit_worker(0);
  if (header.kind != wire::Kind::setup) exit_worker(126);
  std::string outcome;
  if (!payload.empty()) {
    try {
      ByteReader setup(payload);
      const auto initializer = reinterpret_cast<void (*)()>(resolve_code(setup.pod<CodeAddress>()));
      initializer();
    } catch (...) {
      write_current_exception(outcome);
      send_frame(out, wire::Kind::initializer_failed, 0, outcome);
      exit_worker(1);
    }
  }
  if (!send_frame(out, wire::Kind::ready, 0, {})) exit_worker(0);
  std::string frame;
  while (reader.read_frame(header, payload)) {
    if (header.kind != wire::Kind::task) exit_worker(126);
    // The outcome is written after a header-sized gap, so the frame goes out
    // in one send without copying the outcome.
    frame.assign(sizeof(wire::Header), '\0');
    outcome.clear();
    run_encoded_call(payload, outcome);
    payload.clear();
    payload.shrink_to_fit();  // the task's arguments are freed with the task
    wire::Header reply;
    reply.kind = wire::Kind::outcome;
    reply.id = header.id;
    reply.size = outcome.size();
    frame.replace(0, sizeof reply, reinterpret_cast<const char*>(&reply), sizeof reply);
    frame.append(outcome);
    if (!wire::write_all(out, frame)) break;
  }
  exit_worker(0);
}

bool init_was_called() noexcept {
  return init_called.load();
}
const char* program_argv0() noexcept {
  return saved_argv0;
}

void refuse_pools_in_unhooked_worker() {
  if (!spawned_unhooked) return;
  std::fprintf(stderr, kUnhookedMessage, static_cast<int>(::getpid()),
               "creating a ProcessPoolExecutor");
  std::_Exit(127);
}

}  // namespace concur::detail

namespace concur {

void init(int argc, char** argv) {
  if (argc > 0 && argv != nullptr) detail::saved_argv0 = argv[0];
  const char* role = std::getenv(detail::kWorkerEnv);
  if (role == nullptr) {
    detail::init_called.store(true);
    return;
  }
  int in = -1;
  int out = -1;
  int parent = -1;
  if (std::sscanf(role, "%d,%d:%d", &in, &out, &parent) != 3 || in < 0 || out < 0) {
    std::fprintf(stderr, "concur: malformed %s=%s in the environment\n", detail::kWorkerEnv, role);
    std::_Exit(126);
  }
  ::unsetenv(detail::kWorkerEnv);
  detail::die_with_parent(parent);
  detail::run_worker(in, out);
}

}  // namespace concur
