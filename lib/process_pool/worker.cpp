#include "worker.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "concur/detail/code_address.hpp"
#include "concur/detail/remote_call.hpp"
#include "concur/process_pool_executor.hpp"
#include "wire.hpp"

namespace concur::detail {
namespace {

std::atomic<bool> init_called{false};
std::atomic<bool> serving{false};
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

[[noreturn]] void exit_worker(int status) {
  std::fflush(nullptr);
  std::cout.flush();
  std::cerr.flush();
  std::_Exit(status);
}

bool send_frame(int channel, wire::Kind kind, std::uint64_t id, std::string_view payload) {
  std::string frame;
  wire::append_frame(frame, kind, id, payload);
  return wire::write_all(channel, frame);
}

// read_frame: the next frame from the parent; false at end of file.
bool read_frame(int channel, wire::Header& header, std::string& payload) {
  if (!wire::read_exact(channel, &header, sizeof header)) return false;
  if (header.magic != wire::kMagic || header.size > wire::kMaxPayload) {
    std::fprintf(stderr, "concur worker %d: corrupt frame from the parent\n", ::getpid());
    exit_worker(126);
  }
  payload.resize(static_cast<std::size_t>(header.size));
  return wire::read_exact(channel, payload.data(), payload.size());
}

}  // namespace

void die_with_parent(int expected_parent) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != expected_parent) exit_worker(0);  // the parent died before prctl
}

void run_worker(int channel) {
  spawned_unhooked = false;
  serving.store(true);
  wire::Header header;
  std::string payload;
  if (!read_frame(channel, header, payload)) exit_worker(0);
  if (header.kind != wire::Kind::setup) exit_worker(126);
  std::string outcome;
  if (!payload.empty()) {
    try {
      std::string_view in = payload;
      const auto initializer =
          reinterpret_cast<void (*)()>(resolve_code(read_pod<CodeAddress>(in)));
      initializer();
    } catch (...) {
      write_current_exception(outcome);
      send_frame(channel, wire::Kind::initializer_failed, 0, outcome);
      exit_worker(1);
    }
  }
  if (!send_frame(channel, wire::Kind::ready, 0, {})) exit_worker(0);
  std::string frame;
  while (read_frame(channel, header, payload)) {
    if (header.kind != wire::Kind::task) exit_worker(126);
    // The outcome is written after a header-sized gap, so the frame goes out
    // in one send without copying the outcome.
    frame.assign(sizeof(wire::Header), '\0');
    outcome.clear();
    run_encoded_call(payload, outcome);
    payload.clear();
    payload.shrink_to_fit();  // the task's arguments are freed with the task (PPE-35)
    wire::Header reply;
    reply.kind = wire::Kind::outcome;
    reply.id = header.id;
    reply.size = outcome.size();
    frame.replace(0, sizeof reply, reinterpret_cast<const char*>(&reply), sizeof reply);
    frame.append(outcome);
    if (!wire::write_all(channel, frame)) break;
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
  int channel = -1;
  int parent = -1;
  if (std::sscanf(role, "%d:%d", &channel, &parent) != 2 || channel < 0) {
    std::fprintf(stderr, "concur: malformed %s=%s in the environment\n", detail::kWorkerEnv, role);
    std::_Exit(126);
  }
  ::unsetenv(detail::kWorkerEnv);
  detail::die_with_parent(parent);
  detail::run_worker(channel);
}

}  // namespace concur
