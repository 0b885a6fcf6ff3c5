// concur/shared_memory.hpp - memory shared with process-pool workers:
// Python's multiprocessing.shared_memory, without names to leak.
//
//   concur::SharedArray<double> samples(1'000'000);  // zero-filled
//   fill(samples.span());
//   auto total = pool.submit(sum, samples).result();  // the worker maps the
//                                                     // same pages: no copy
//
// A SharedBuffer is a handle: copies (and the one a task receives) refer to
// the same pages, and a write through any of them is seen through all, in
// every process that holds one. The memory is anonymous (a memfd): it has
// no name in /dev/shm, and the kernel frees it when the last handle in the
// last process is gone - also when a process is killed. Its size is fixed
// and sealed, so no process can shrink it under another.
//
// Handles travel only as arguments and results of process-pool tasks (to
// a thread pool they are ordinary values); concur::to_bytes() of one is a
// ValueError. Concurrent writes from several processes race as they would
// between threads: synchronise them, or give each task its own part.
//
// Big arguments and results that are not SharedBuffers need nothing of
// this header: above ProcessPoolOptions::shm_threshold they travel through
// shared memory on their own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <type_traits>

#include "concur/detail/attachments.hpp"
#include "concur/detail/byte_archive.hpp"
#include "concur/detail/shared_mapping.hpp"
#include "concur/errors.hpp"

namespace concur {

namespace detail {
struct SharedBufferAccess;
}  // namespace detail

// SharedBuffer: `bytes` bytes of memory shared with the workers that
// receive it; zero-filled. SharedBuffer(0) is a ValueError; a
// default-constructed one is empty (no memory, size() == 0) and travels as
// such. std::system_error if the memory cannot be had (the memory limit).
class SharedBuffer {
 public:
  SharedBuffer() = default;
  explicit SharedBuffer(std::size_t bytes)
      : region_(std::make_shared<detail::SharedMapping>(detail::SharedMapping::create(bytes))) {}

  std::byte* data() const noexcept { return region_ ? region_->data() : nullptr; }
  std::size_t size() const noexcept { return region_ ? region_->size() : 0; }
  std::span<std::byte> bytes() const noexcept { return {data(), size()}; }
  bool empty() const noexcept { return size() == 0; }

  // Two handles are equal when they refer to the same memory.
  friend bool operator==(const SharedBuffer& a, const SharedBuffer& b) noexcept {
    return a.region_ == b.region_;
  }

 private:
  friend struct detail::SharedBufferAccess;
  explicit SharedBuffer(detail::SharedRegion region) noexcept : region_(std::move(region)) {}

  detail::SharedRegion region_;
};

// SharedArray<T>: `count` elements of a trivially copyable T in shared
// memory, value-initialised (zero bytes); a SharedBuffer that knows its
// element type.
template <class T>
class SharedArray {
  static_assert(std::is_trivially_copyable_v<T> && !std::is_pointer_v<T>,
                "SharedArray<T>: T must be trivially copyable and not a pointer (the memory is "
                "seen from other processes, where an address means nothing)");
  static_assert(alignof(T) <= 4096,
                "SharedArray<T>: the memory is page-aligned (4096 bytes); T asks for more");

 public:
  SharedArray() = default;
  explicit SharedArray(std::size_t count) : buffer_(bytes_for(count)) {}

  T* data() const noexcept { return reinterpret_cast<T*>(buffer_.data()); }
  std::size_t size() const noexcept { return buffer_.size() / sizeof(T); }
  std::span<T> span() const noexcept { return {data(), size()}; }
  bool empty() const noexcept { return size() == 0; }
  T& operator[](std::size_t i) const noexcept { return data()[i]; }
  T* begin() const noexcept { return data(); }
  T* end() const noexcept { return data() + size(); }

  // buffer: the untyped handle to the same memory.
  const SharedBuffer& buffer() const noexcept { return buffer_; }

  friend bool operator==(const SharedArray& a, const SharedArray& b) noexcept {
    return a.buffer_ == b.buffer_;
  }

 private:
  friend struct detail::SharedBufferAccess;

  static std::size_t bytes_for(std::size_t count) {
    if (count == 0) throw ValueError("concur::SharedArray: the element count must be positive");
    if (count > std::numeric_limits<std::size_t>::max() / sizeof(T)) {
      throw ValueError("concur::SharedArray: " + std::to_string(count) +
                       " elements do not fit in memory");
    }
    return count * sizeof(T);
  }

  SharedBuffer buffer_;
};

namespace detail {

// SharedBufferAccess: how a handle is written and read. On the wire a
// handle is its size in bytes and, unless empty, the index of its region
// among the frame's attachments.
struct SharedBufferAccess {
  static void save(OutputArchive& ar, const SharedBuffer& buffer) {
    const std::uint64_t size = buffer.size();
    ar.saveBinary(&size, sizeof size);
    if (size == 0) return;
    const std::uint32_t index = AttachmentScope::current().add(buffer.region_);
    ar.saveBinary(&index, sizeof index);
  }
  static SharedBuffer load(InputArchive& ar) {
    std::uint64_t size = 0;
    ar.loadBinary(&size, sizeof size);
    if (size == 0) return SharedBuffer();
    std::uint32_t index = 0;
    ar.loadBinary(&index, sizeof index);
    SharedRegion region = AttachmentScope::current().take(index, static_cast<std::size_t>(size));
    if (region->size() != size) {
      throw ValueError("concur: a shared buffer of " + std::to_string(size) +
                       " bytes in a region of " + std::to_string(region->size()));
    }
    return SharedBuffer(std::move(region));
  }
  template <class T>
  static void load(InputArchive& ar, SharedArray<T>& array) {
    SharedBuffer buffer = load(ar);
    if (buffer.size() % sizeof(T) != 0) {
      throw ValueError("concur: a SharedArray of " + std::to_string(buffer.size()) +
                       " bytes is not a whole number of " + std::to_string(sizeof(T)) +
                       "-byte elements");
    }
    array.buffer_ = std::move(buffer);
  }
  template <class T>
  static const SharedBuffer& buffer(const SharedArray<T>& array) noexcept {
    return array.buffer_;
  }
};

}  // namespace detail

// cereal's hooks, found by argument-dependent lookup: the handles are
// Serializable for concur's own archives only.
inline void CEREAL_SAVE_FUNCTION_NAME(detail::OutputArchive& ar, const SharedBuffer& buffer) {
  detail::SharedBufferAccess::save(ar, buffer);
}
inline void CEREAL_LOAD_FUNCTION_NAME(detail::InputArchive& ar, SharedBuffer& buffer) {
  buffer = detail::SharedBufferAccess::load(ar);
}
template <class T>
void CEREAL_SAVE_FUNCTION_NAME(detail::OutputArchive& ar, const SharedArray<T>& array) {
  detail::SharedBufferAccess::save(ar, detail::SharedBufferAccess::buffer(array));
}
template <class T>
void CEREAL_LOAD_FUNCTION_NAME(detail::InputArchive& ar, SharedArray<T>& array) {
  detail::SharedBufferAccess::load(ar, array);
}

}  // namespace concur
