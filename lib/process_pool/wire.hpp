// The frames on a worker's channel (an AF_UNIX stream socket), and the
// blocking and non-blocking ways to move them.
//
//   [magic u32][kind u32][id u64][size u64] then `size` payload bytes
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

#include "concur/detail/byte_reader.hpp"

namespace concur::detail::wire {

constexpr std::uint32_t kMagic = 0x52434e43;  // "CNCR"

enum class Kind : std::uint32_t {
  // parent -> worker
  setup = 1,  // payload: the initializer's CodeAddress, or nothing
  task = 2,   // payload: an encoded call (remote_call.hpp)
  // worker -> parent
  ready = 10,               // the initializer ran (or there was none)
  initializer_failed = 11,  // payload: an exception outcome
  outcome = 12,             // payload: the outcome of task `id`
};

struct Header {
  std::uint32_t magic = kMagic;
  Kind kind = Kind::task;
  std::uint64_t id = 0;
  std::uint64_t size = 0;
};
static_assert(sizeof(Header) == 24);

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
void append_frame(std::string& out, Kind kind, std::uint64_t id, std::string_view payload);

// FrameParser: turns the bytes read from a worker into frames.
class FrameParser {
 public:
  struct Frame {
    Kind kind;
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

// Blocking I/O for the worker side: false on end of file or error.
bool write_all(int fd, std::string_view bytes);
bool read_exact(int fd, void* data, std::size_t size);

}  // namespace concur::detail::wire
