// The frames on a worker's channel (an AF_UNIX stream socket), and the
// blocking and non-blocking ways to move them.
//
//   [magic u32][kind u16][descriptors u16][id u64][size u64] then `size`
//   payload bytes
//
// `descriptors` is the number of file descriptors (SCM_RIGHTS) attached to
// the frame's first byte: shared-memory regions (shared_memory.hpp).
//
// Neither side trusts the other's frames: each header goes through
// decode_header(), which checks the magic, the kind and the size before
// anything believes them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "concur/detail/attachments.hpp"
#include "concur/detail/byte_reader.hpp"

namespace concur::detail::wire {

constexpr std::uint32_t kMagic = 0x52434e43;  // "CNCR"

enum class Kind : std::uint16_t {
  // parent -> worker
  setup = 1,           // payload: Setup, then the initializer's CodeAddress or nothing
  task = 2,            // payload: an encoded call (remote_call.hpp)
  task_in_region = 3,  // payload: a RegionRef to an encoded call
  // worker -> parent
  ready = 10,               // the initializer ran (or there was none)
  initializer_failed = 11,  // payload: an exception outcome
  outcome = 12,             // payload: the outcome of task `id`
  outcome_in_region = 13,   // payload: a RegionRef to the outcome of task `id`
};

struct Header {
  std::uint32_t magic = kMagic;
  Kind kind = Kind::task;
  std::uint16_t descriptors = 0;
  std::uint64_t id = 0;
  std::uint64_t size = 0;
};
static_assert(sizeof(Header) == 24);

// The most descriptors one frame may carry (the kernel's own limit per
// message is 253).
constexpr std::uint16_t kMaxDescriptors = 64;
static_assert(kMaxAttachments + 1 == kMaxDescriptors);

// Setup: what every worker is told first.
struct Setup {
  // Outcomes whose encoding is longer go back through shared memory; 0: never.
  std::uint64_t shm_threshold = 0;
};

// RegionRef: where a payload too big for the socket lies: the first `size`
// bytes of the sender's region `slot` (each side keeps kRegionSlots of its
// own, reused from call to call).
struct RegionRef {
  std::uint32_t slot = 0;
  std::uint32_t flags = 0;  // kNewRegion | kOneShot
  std::uint64_t size = 0;
};
static_assert(sizeof(RegionRef) == 16);
constexpr std::uint32_t kRegionSlots = 2;
// The slot holds a new region: the frame's first descriptor; the old one
// of that slot is gone.
constexpr std::uint32_t kNewRegion = 1;
// The region serves this payload only: unmapped once it is read.
constexpr std::uint32_t kOneShot = 2;

// Regions up to this size are kept for the next payload; a bigger one
// serves one payload (kOneShot), so a single huge task does not pin its
// size in memory for the pool's life.
constexpr std::size_t kMaxReusedRegion = std::size_t{256} << 20;
// region_capacity: the size of a new region for a payload of `size` bytes:
// a power of two from 1 MiB (so payloads that vary a little reuse it), or,
// past kMaxReusedRegion, the size itself.
std::size_t region_capacity(std::size_t size);

// decode_region_ref: the RegionRef a frame's payload holds, checked (slot,
// flags, a size within kMaxPayload; a new region needs a descriptor).
RegionRef decode_region_ref(std::string_view payload, std::uint16_t descriptors);

// The largest payload a frame from the parent may announce: 64 GiB (far
// above any sane task, far below what would overflow a size computation).
constexpr std::uint64_t kMaxPayload = std::uint64_t{64} << 30;
// The largest payload a frame from a worker may announce: 512 MiB. The
// parent buffers a whole outcome before decoding it, so this bounds what a
// corrupt or hostile worker can make it hold; a larger result fails its task.
constexpr std::uint64_t kMaxWorkerPayload = std::uint64_t{512} << 20;

// Sender: who wrote a frame, which decides the kinds and sizes it may have.
enum class Sender { parent, worker };

// decode_header: the next header from `in`, checked for a frame `from` may
// send. Throws ValueError naming the defect: too few bytes, a bad magic
// number, a kind that sender does not send, a payload over its limit.
Header decode_header(ByteReader& in, Sender from);

// append_frame: header + payload onto `out`.
void append_frame(std::string& out, Kind kind, std::uint64_t id, std::string_view payload,
                  std::uint16_t descriptors = 0);

// FrameParser: turns the bytes read from a worker into frames.
class FrameParser {
 public:
  struct Frame {
    Kind kind;
    std::uint16_t descriptors;
    std::uint64_t id;
    std::string payload;
  };

  // feed: appends received bytes.
  void feed(const char* data, std::size_t size) { buffer_.append(data, size); }
  // next: the next complete frame, if any. Throws ValueError naming the
  // defect if the bytes are not a frame a worker may send (bad magic, a kind
  // workers do not send, more than kMaxWorkerPayload bytes) - as soon as its
  // header is in, before waiting for a payload that may never come.
  std::optional<Frame> next();
  // incomplete_header: the checked header of a frame whose payload is still
  // arriving, if any (so the reader can check its id at once too).
  std::optional<Header> incomplete_header() const;

 private:
  // checked_header: the header at the front, checked; none if incomplete.
  std::optional<Header> checked_header() const;

  std::string buffer_;
  std::size_t consumed_ = 0;
};

// Blocking I/O for the worker side: false on end of file or error. The
// descriptors, if any, go with the first byte.
bool write_all(int fd, std::string_view bytes, const int* descriptors = nullptr,
               std::size_t count = 0);
bool read_exact(int fd, void* data, std::size_t size);

// send_some: one sendmsg of `bytes` with `count` descriptors attached;
// the bytes sent, or -1 with errno set. `flags` as send()'s.
long send_some(int fd, std::string_view bytes, const int* descriptors, std::size_t count,
               int flags);
// receive_some: one recvmsg into `data`, the descriptors it carried
// appended to `descriptors` (close-on-exec); the bytes read, 0 at end of
// file, -1 with errno set. `truncated` is set if the kernel had more
// descriptors than fit (it closed those).
long receive_some(int fd, void* data, std::size_t size, std::vector<int>& descriptors,
                  bool& truncated, int flags);

}  // namespace concur::detail::wire
