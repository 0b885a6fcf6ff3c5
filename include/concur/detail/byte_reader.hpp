// concur/detail/byte_reader.hpp - the one way concur reads bytes it did not
// write itself: every read is bounds-checked and throws ValueError, having
// consumed nothing, when the bytes run out. Not API.
//
// Everything that arrives from another process goes through a ByteReader:
// frame headers (wire.cpp, on both sides of a channel), encoded calls and
// outcomes (remote_call.hpp), exception records (remote_exception.cpp) and
// serialised values (serialize.hpp's archives).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>

#include "concur/errors.hpp"

namespace concur::detail {

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) noexcept : in_(in) {}

  // read: the next `size` bytes into `data`.
  void read(void* data, std::size_t size) {
    require(size);
    if (size == 0) return;  // `data` may be null then (an empty vector's)
    std::memcpy(data, in_.data() + at_, size);
    at_ += size;
  }

  // pod: a trivially copyable T from its bytes, also for types without a
  // default constructor (a lambda's closure type).
  template <class T>
  requires std::is_trivially_copyable_v<T> T pod() {
    alignas(T) unsigned char storage[sizeof(T)];
    read(storage, sizeof(T));
    return *std::launder(reinterpret_cast<T*>(storage));
  }

  // string: a u64 length, then that many bytes. A length beyond the bytes
  // left is refused before anything is allocated.
  std::string string() {
    const std::size_t start = at_;
    const auto size = pod<std::uint64_t>();
    if (size > remaining()) {
      at_ = start;
      throw_truncated(static_cast<std::size_t>(size));
    }
    std::string text(in_.substr(at_, static_cast<std::size_t>(size)));
    at_ += static_cast<std::size_t>(size);
    return text;
  }

  // skip: drops the next `size` bytes.
  void skip(std::size_t size) {
    require(size);
    at_ += size;
  }

  // rest: the bytes not yet read.
  std::string_view rest() const noexcept { return in_.substr(at_); }
  std::size_t remaining() const noexcept { return in_.size() - at_; }
  bool empty() const noexcept { return remaining() == 0; }

  // require: throws ValueError unless `size` more bytes are there.
  void require(std::size_t size) const {
    if (size > remaining()) throw_truncated(size);
  }

  // expect_end: throws ValueError("<what>: N bytes left over") unless every
  // byte was read.
  void expect_end(const char* what) const {
    if (!empty()) {
      throw ValueError(std::string(what) + ": " + std::to_string(remaining()) + " bytes left over");
    }
  }

 private:
  [[noreturn]] void throw_truncated(std::size_t size) const {
    throw ValueError("concur: truncated input: needed " + std::to_string(size) + " bytes, " +
                     std::to_string(remaining()) + " left");
  }

  std::string_view in_;
  std::size_t at_ = 0;
};

}  // namespace concur::detail
