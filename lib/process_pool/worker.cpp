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
#include <deque>
#include <iostream>
#include <string>
#include <vector>

#include "concur/detail/attachments.hpp"
#include "concur/detail/code_address.hpp"
#include "concur/detail/remote_call.hpp"
#include "concur/detail/shared_mapping.hpp"
#include "concur/process_pool_executor.hpp"
#include "unique_fd.hpp"
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

[[noreturn]] void corrupt_parent(const char* defect) {
  std::fprintf(stderr, "concur worker %d: corrupt frame from the parent: %s\n", ::getpid(), defect);
  exit_worker(126);
}

// ChannelReader: buffered reads from the parent, so a small task costs one
// read() rather than one for its header and one for its payload; the
// descriptors that come with the bytes are handed out with their frames.
class ChannelReader {
 public:
  explicit ChannelReader(int channel) : channel_(channel), buffer_(1 << 16) {}

  // read_frame: the next frame from the parent and its descriptors; false
  // at end of file.
  bool read_frame(wire::Header& header, std::string& payload, std::vector<UniqueFd>& descriptors) {
    char bytes[sizeof(wire::Header)];
    if (!read(bytes, sizeof bytes)) return false;
    try {
      ByteReader in(std::string_view(bytes, sizeof bytes));
      header = wire::decode_header(in, wire::Sender::parent);
    } catch (const ValueError& e) {
      corrupt_parent(e.what());
    }
    // They came with the header's first byte.
    if (header.descriptors > received_.size()) corrupt_parent("descriptors announced, not sent");
    descriptors.clear();
    for (std::uint16_t i = 0; i < header.descriptors; ++i) {
      descriptors.push_back(std::move(received_.front()));
      received_.pop_front();
    }
    payload.resize(static_cast<std::size_t>(header.size));
    return read(payload.data(), payload.size());
  }

 private:
  bool read(void* data, std::size_t size) {
    auto* out = static_cast<char*>(data);
    while (size > 0) {
      if (begin_ == end_) {
        // A large read goes straight to its destination (the rest of one
        // payload: no frame, so no descriptor, starts inside it).
        if (size >= buffer_.size()) return wire::read_exact(channel_, out, size);
        const long n = fill();
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
  long fill() {
    const auto give_up = std::chrono::steady_clock::now() + kPollBeforeSleep;
    long n;
    do {
      n = receive(MSG_DONTWAIT);
      if (n >= 0 || (errno != EAGAIN && errno != EINTR)) return n;
      ::sched_yield();
    } while (std::chrono::steady_clock::now() < give_up);
    return receive(0);
  }

  long receive(int flags) {
    std::vector<int> fds;
    bool truncated = false;
    const long n =
        wire::receive_some(channel_, buffer_.data(), buffer_.size(), fds, truncated, flags);
    for (int fd : fds)
      received_.emplace_back(fd);
    if (truncated) corrupt_parent("more descriptors than a frame may carry");
    return n;
  }

  static constexpr auto kPollBeforeSleep = std::chrono::microseconds(50);

  int channel_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::deque<UniqueFd> received_;
};

// Regions: the worker's side of the shared memory: the parent's argument
// regions, mapped here, and its own outcome regions, mapped there too.
class Regions {
 public:
  explicit Regions(std::uint64_t threshold) : threshold_(threshold) {}

  // call_bytes: where a task frame's call is: its payload, or the
  // argument region it names (a new one is its first descriptor).
  std::string_view call_bytes(const wire::Header& header, const std::string& payload,
                              std::vector<UniqueFd>& descriptors) {
    if (header.kind == wire::Kind::task) return payload;
    wire::RegionRef ref{};
    try {
      ref = wire::decode_region_ref(payload, static_cast<std::uint16_t>(descriptors.size()));
    } catch (const ValueError& e) {
      corrupt_parent(e.what());
    }
    SharedMapping& region = arguments_[ref.slot];
    if ((ref.flags & wire::kNewRegion) != 0) {
      region = {};
      // Mapping may fail (the memory limit): run_encoded_call() then
      // reports it as this call's exception.
      region =
          SharedMapping::adopt(descriptors.front().release(), static_cast<std::size_t>(ref.size),
                               SharedMapping::Populate::yes);
      region.drop_descriptor();  // never sent on: the mapping is enough
      descriptors.erase(descriptors.begin());
    }
    if (region.size() < ref.size) corrupt_parent("a call larger than its region");
    one_shot_argument_ = (ref.flags & wire::kOneShot) != 0 ? ref.slot : wire::kRegionSlots;
    return {reinterpret_cast<const char*>(region.data()), static_cast<std::size_t>(ref.size)};
  }

  // done_with_call: a one-shot argument region is unmapped once its call ran.
  void done_with_call() {
    if (one_shot_argument_ < wire::kRegionSlots) arguments_[one_shot_argument_] = {};
    one_shot_argument_ = wire::kRegionSlots;
  }

  // wants_region: whether an outcome this long goes through shared memory.
  bool wants_region(std::size_t size) const { return threshold_ != 0 && size > threshold_; }

  // place_outcome: copies `outcome` into an outcome region and returns the
  // frame's payload (a RegionRef); a new region's descriptor is added to
  // `fds`. Not into the region of the previous outcome: the parent may not
  // have read that one yet - but it has read every one before, or it would
  // not have sent the call this outcome answers (it sends a worker a call
  // only while it holds at most one other). Throws if no region can be had.
  std::string place_outcome(const std::string& outcome, std::vector<int>& fds) {
    const std::uint32_t slot = last_outcome_slot_ == 0 ? 1 : 0;
    SharedMapping& region = outcomes_[slot];
    wire::RegionRef ref{slot, 0, outcome.size()};
    if (region.size() < outcome.size()) {
      region = {};
      region = SharedMapping::create(wire::region_capacity(outcome.size()),
                                     SharedMapping::Populate::yes);
      ref.flags |= wire::kNewRegion;
      fds.insert(fds.begin(), region.fd());
    }
    if (region.size() > wire::kMaxReusedRegion) ref.flags |= wire::kOneShot;
    std::memcpy(region.data(), outcome.data(), outcome.size());
    last_outcome_slot_ = slot;
    std::string reference;
    write_pod(reference, ref);
    return reference;
  }

  // sent_outcome: once the frame is out, the parent has the region's
  // descriptor: ours is not needed again. A one-shot region is let go
  // altogether (the parent's descriptor keeps the memory until it has read
  // it).
  void sent_outcome() {
    SharedMapping& region = outcomes_[last_outcome_slot_];
    region.drop_descriptor();
    if (region.size() > wire::kMaxReusedRegion) region = {};
  }

 private:
  std::uint64_t threshold_;
  SharedMapping arguments_[wire::kRegionSlots];
  SharedMapping outcomes_[wire::kRegionSlots];
  std::uint32_t one_shot_argument_ = wire::kRegionSlots;
  std::uint32_t last_outcome_slot_ = wire::kRegionSlots;
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

namespace {

// serve: runs one task frame's call and writes its outcome frame; false if
// the parent is gone.
bool serve(int out, const wire::Header& header, std::string& payload,
           std::vector<UniqueFd>& descriptors, Regions& regions, std::string& frame,
           std::string& outcome) {
  outcome.clear();
  Attachments attachments;
  {
    const AttachmentScope scope(attachments);
    try {
      const std::string_view call = regions.call_bytes(header, payload, descriptors);
      for (UniqueFd& fd : descriptors)
        attachments.incoming.push_back(fd.release());
      run_encoded_call(call, outcome);
    } catch (...) {
      write_current_exception(outcome);  // the call's region could not be mapped
    }
  }
  regions.done_with_call();
  attachments.close_incoming();
  payload.clear();
  payload.shrink_to_fit();  // the task's arguments are freed with the task
  std::vector<int> fds;
  for (const SharedRegion& region : attachments.outgoing)
    fds.push_back(region->fd());
  wire::Header reply;
  reply.kind = wire::Kind::outcome;
  reply.id = header.id;
  std::string reference;
  if (regions.wants_region(outcome.size())) {
    try {
      reference = regions.place_outcome(outcome, fds);
      reply.kind = wire::Kind::outcome_in_region;
    } catch (...) {
      // No region to be had: over the socket if it may go that way.
      if (outcome.size() > wire::kMaxWorkerPayload) {
        outcome.clear();
        write_current_exception(outcome);
      }
    }
  }
  const std::string_view body =
      reply.kind == wire::Kind::outcome ? std::string_view(outcome) : std::string_view(reference);
  reply.size = body.size();
  reply.descriptors = static_cast<std::uint16_t>(fds.size());
  frame.assign(reinterpret_cast<const char*>(&reply), sizeof reply);
  frame.append(body);
  const bool sent = wire::write_all(out, frame, fds.data(), fds.size());
  if (reply.kind == wire::Kind::outcome_in_region) regions.sent_outcome();
  return sent;
}

}  // namespace

void run_worker(int in, int out) {
  spawned_unhooked = false;
  name_this_process("-worker");
  ChannelReader reader(in);
  wire::Header header;
  std::string payload;
  std::vector<UniqueFd> descriptors;
  if (!reader.read_frame(header, payload, descriptors)) exit_worker(0);
  if (header.kind != wire::Kind::setup) exit_worker(126);
  wire::Setup setup;
  std::string outcome;
  try {
    ByteReader in_setup(payload);
    setup = in_setup.pod<wire::Setup>();
    if (!in_setup.empty()) {
      const auto initializer =
          reinterpret_cast<void (*)()>(resolve_code(in_setup.pod<CodeAddress>()));
      initializer();
    }
  } catch (...) {
    write_current_exception(outcome);
    send_frame(out, wire::Kind::initializer_failed, 0, outcome);
    exit_worker(1);
  }
  if (!send_frame(out, wire::Kind::ready, 0, {})) exit_worker(0);
  Regions regions(setup.shm_threshold);
  std::string frame;
  while (reader.read_frame(header, payload, descriptors)) {
    if (header.kind != wire::Kind::task && header.kind != wire::Kind::task_in_region) {
      exit_worker(126);
    }
    if (!serve(out, header, payload, descriptors, regions, frame, outcome)) break;
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
