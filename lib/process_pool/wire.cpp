#include "wire.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <string>

#include "concur/errors.hpp"

namespace concur::detail::wire {

void append_frame(std::string& out, Kind kind, std::uint64_t id, std::string_view payload,
                  std::uint16_t descriptors) {
  Header header;
  header.kind = kind;
  header.descriptors = descriptors;
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
    case Kind::task_in_region:
      return from == Sender::parent;
    case Kind::ready:
    case Kind::initializer_failed:
    case Kind::outcome:
    case Kind::outcome_in_region:
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
  if (header.descriptors > kMaxDescriptors) {
    throw ValueError("a frame announcing " + std::to_string(header.descriptors) +
                     " descriptors, more than the " + std::to_string(kMaxDescriptors) +
                     " a frame may carry");
  }
  const std::uint64_t limit = from == Sender::worker ? kMaxWorkerPayload : kMaxPayload;
  if (header.size > limit) {
    throw ValueError("a frame announcing " + std::to_string(header.size) +
                     " bytes, more than the " + std::to_string(limit) + " a " +
                     (from == Sender::worker ? "worker's" : "parent's") + " frame may carry");
  }
  return header;
}

std::size_t region_capacity(std::size_t size) {
  if (size > kMaxReusedRegion) return size;
  return std::max(std::bit_ceil(size), std::size_t{1} << 20);
}

RegionRef decode_region_ref(std::string_view payload, std::uint16_t descriptors) {
  ByteReader in(payload);
  const auto ref = in.pod<RegionRef>();
  in.expect_end("a region reference");
  if (ref.slot >= kRegionSlots) {
    throw ValueError("a payload in region slot " + std::to_string(ref.slot) + " of " +
                     std::to_string(kRegionSlots));
  }
  if ((ref.flags & ~(kNewRegion | kOneShot)) != 0) {
    throw ValueError("a region reference with unknown flags " + std::to_string(ref.flags));
  }
  if ((ref.flags & kNewRegion) != 0 && descriptors == 0) {
    throw ValueError("a new region announced without its descriptor");
  }
  if (ref.size == 0 || ref.size > kMaxPayload) {
    throw ValueError("a payload in shared memory announcing " + std::to_string(ref.size) +
                     " bytes");
  }
  return ref;
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
  Frame frame{header.kind, header.descriptors, header.id,
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

bool write_all(int fd, std::string_view bytes, const int* descriptors, std::size_t count) {
  while (!bytes.empty()) {
    const long n = send_some(fd, bytes, descriptors, count, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    count = 0;  // they went with the first byte
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

long send_some(int fd, std::string_view bytes, const int* descriptors, std::size_t count,
               int flags) {
  if (count == 0) return ::send(fd, bytes.data(), bytes.size(), flags);
  iovec io{const_cast<char*>(bytes.data()), bytes.size()};
  msghdr message{};
  message.msg_iov = &io;
  message.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(kMaxDescriptors * sizeof(int))] = {};
  if (count > kMaxDescriptors) {
    errno = EINVAL;
    return -1;
  }
  message.msg_control = control;
  message.msg_controllen = CMSG_SPACE(count * sizeof(int));
  cmsghdr* header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(count * sizeof(int));
  std::memcpy(CMSG_DATA(header), descriptors, count * sizeof(int));
  return ::sendmsg(fd, &message, flags);
}

long receive_some(int fd, void* data, std::size_t size, std::vector<int>& descriptors,
                  bool& truncated, int flags) {
  iovec io{data, size};
  msghdr message{};
  message.msg_iov = &io;
  message.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(kMaxDescriptors * sizeof(int))];
  message.msg_control = control;
  message.msg_controllen = sizeof control;
  const ssize_t n = ::recvmsg(fd, &message, flags | MSG_CMSG_CLOEXEC);
  if (n < 0) return n;
  if ((message.msg_flags & MSG_CTRUNC) != 0) truncated = true;
  for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr;
       header = CMSG_NXTHDR(&message, header)) {
    if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int received;
      std::memcpy(&received, CMSG_DATA(header) + i * sizeof(int), sizeof received);
      descriptors.push_back(received);
    }
  }
  return n;
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
