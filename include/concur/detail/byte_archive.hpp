// concur/detail/byte_archive.hpp - cereal archives over a byte buffer, with
// every read bounds-checked. Not API; see concur/serialize.hpp.
//
// cereal's own binary archives go through std::iostream, which costs more
// than the copy itself for small values, and trust the sizes they read. These
// two append to a std::string and read through a ByteReader
// (byte_reader.hpp); a length prefix larger than the bytes left is rejected
// before anything is allocated, so hostile input cannot make the reader
// allocate gigabytes.
#pragma once

#include <cereal/cereal.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "concur/detail/byte_reader.hpp"
#include "concur/errors.hpp"

namespace concur::detail {

// ByteWriter: appends raw bytes.
class ByteWriter {
 public:
  explicit ByteWriter(std::string& out) noexcept : out_(&out) {}
  void write(const void* data, std::size_t size) {
    out_->append(static_cast<const char*>(data), size);
  }

 private:
  std::string* out_;
};

class OutputArchive : public cereal::OutputArchive<OutputArchive, cereal::AllowEmptyClassElision>,
                      public ByteWriter {
 public:
  explicit OutputArchive(std::string& out)
      : cereal::OutputArchive<OutputArchive, cereal::AllowEmptyClassElision>(this),
        ByteWriter(out) {}
  void saveBinary(const void* data, std::size_t size) { write(data, size); }
};

// InputArchive: reads through a ByteReader, which it advances.
class InputArchive : public cereal::InputArchive<InputArchive, cereal::AllowEmptyClassElision> {
 public:
  explicit InputArchive(ByteReader& in)
      : cereal::InputArchive<InputArchive, cereal::AllowEmptyClassElision>(this), in_(in) {}
  void loadBinary(void* data, std::size_t size) { in_.read(data, size); }
  ByteReader& reader() noexcept { return in_; }
  std::size_t remaining() const noexcept { return in_.remaining(); }

 private:
  ByteReader& in_;
};

// The archives' primitives, as cereal's binary archive defines its own.
template <class T>
requires std::is_arithmetic_v<T>
void CEREAL_SAVE_FUNCTION_NAME(OutputArchive& ar, const T& value) {
  ar.saveBinary(&value, sizeof value);
}
template <class T>
requires(std::is_arithmetic_v<T> &&
         !std::is_same_v<T, bool>) void CEREAL_LOAD_FUNCTION_NAME(InputArchive& ar, T& value) {
  ar.loadBinary(&value, sizeof value);
}
// read_bool: a bool from its byte, which must be 0 or 1: any other value in a
// bool's storage is undefined behaviour (found by the from_bytes fuzzer, in
// std::optional's engaged flag).
inline bool read_bool(ByteReader& in) {
  unsigned char byte = 0;
  in.read(&byte, 1);
  if (byte > 1) {
    throw ValueError("concur::deserialize: corrupt input: a bool stored as " +
                     std::to_string(byte));
  }
  return byte == 1;
}
inline void CEREAL_LOAD_FUNCTION_NAME(InputArchive& ar, bool& value) {
  value = read_bool(ar.reader());
}
template <class Archive, class T>
requires std::is_same_v<Archive, OutputArchive> || std::is_same_v<Archive, InputArchive>
void CEREAL_SERIALIZE_FUNCTION_NAME(Archive& ar, cereal::NameValuePair<T>& pair) {
  ar(pair.value);
}
template <class T>
void CEREAL_SAVE_FUNCTION_NAME(OutputArchive& ar, const cereal::SizeTag<T>& tag) {
  const std::uint64_t size = tag.size;
  ar.saveBinary(&size, sizeof size);
}
// A container's length: every element takes at least one byte, so a length
// beyond the bytes left is corrupt (and must not reach resize()).
template <class T>
void CEREAL_LOAD_FUNCTION_NAME(InputArchive& ar, cereal::SizeTag<T>& tag) {
  std::uint64_t size = 0;
  ar.loadBinary(&size, sizeof size);
  if (size > ar.remaining()) {
    throw ValueError("concur::deserialize: corrupt input: a length of " + std::to_string(size) +
                     " with " + std::to_string(ar.remaining()) + " bytes left");
  }
  tag.size = static_cast<std::remove_reference_t<T>>(size);
}
template <class T>
void CEREAL_SAVE_FUNCTION_NAME(OutputArchive& ar, const cereal::BinaryData<T>& data) {
  ar.saveBinary(data.data, static_cast<std::size_t>(data.size));
}
template <class T>
void CEREAL_LOAD_FUNCTION_NAME(InputArchive& ar, cereal::BinaryData<T>& data) {
  ar.loadBinary(data.data, static_cast<std::size_t>(data.size));
}

}  // namespace concur::detail

CEREAL_SETUP_ARCHIVE_TRAITS(concur::detail::InputArchive, concur::detail::OutputArchive)
