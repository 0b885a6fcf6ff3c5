#include "wire.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "concur/errors.hpp"

namespace concur::detail::wire {

void append_frame(std::string& out, Kind kind, std::uint64_t id, std::string_view payload) {
  Header header;
  header.kind = kind;
  header.id = id;
  header.size = payload.size();
  out.append(reinterpret_cast<const char*>(&header), sizeof header);
  out.append(payload);
}

namespace {

bool sent_by(Kind kind, Sender from) {
  switch (kind) {
    case Kind::setup:
    case Kind::task:
      return from == Sender::parent;
    case Kind::ready:
    case Kind::initializer_failed:
    case Kind::outcome:
      return from == Sender::worker;
  }
  return false;
}

}  // namespace

Header decode_header(ByteReader& in, Sender from) {
  const auto header = in.pod<Header>();
  if (header.magic != kMagic) {
    throw ValueError("a frame with a bad magic number");
  }
  if (!sent_by(header.kind, from)) {
    throw ValueError("a frame of unknown kind " +
                     std::to_string(static_cast<std::uint32_t>(header.kind)));
  }
  const std::uint64_t limit = from == Sender::worker ? kMaxWorkerPayload : kMaxPayload;
  if (header.size > limit) {
    throw ValueError("a frame announcing " + std::to_string(header.size) +
                     " bytes, more than the " + std::to_string(limit) + " a " +
                     (from == Sender::worker ? "worker's" : "parent's") + " frame may carry");
  }
  return header;
}

std::optional<Header> FrameParser::checked_header() const {
  if (buffer_.size() - consumed_ < sizeof(Header)) return std::nullopt;
  ByteReader in(std::string_view(buffer_).substr(consumed_, sizeof(Header)));
  return decode_header(in, Sender::worker);
}

std::optional<Header> FrameParser::incomplete_header() const {
  return checked_header();  // complete frames are taken by next() first
}

std::optional<FrameParser::Frame> FrameParser::next() {
  const std::optional<Header> checked = checked_header();
  if (!checked) return std::nullopt;
  const Header header = *checked;
  const std::size_t available = buffer_.size() - consumed_;
  if (available - sizeof header < header.size) return std::nullopt;
  Frame frame{header.kind, header.id,
              buffer_.substr(consumed_ + sizeof header, static_cast<std::size_t>(header.size))};
  consumed_ += sizeof header + static_cast<std::size_t>(header.size);
  // Drop what has been parsed once it is most of the buffer, so the buffer
  // does not grow without end and compaction stays amortised O(1).
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  } else if (consumed_ > buffer_.size() / 2) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  return frame;
}

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool read_exact(int fd, void* data, std::size_t size) {
  auto* at = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t n = ::read(fd, at, size);
    if (n == 0) return false;
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    at += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace concur::detail::wire
