// concur/serialize.hpp - what may cross a process boundary, and how.
//
// ProcessPoolExecutor ships a task's arguments and result as bytes. A type
// T is concur::Serializable when it is
//   - an arithmetic type, an enum, or a trivially copyable struct that does
//     not define its own serialization: copied byte for byte, the fast path
//     (a struct holding a pointer is copied too, and the pointer is
//     meaningless in the other process: do not ship those);
//   - a standard type built from serializable parts: std::string,
//     std::vector, std::array, std::pair, std::tuple, std::optional, std::map
//     (and the rest of cereal's <cereal/types/...> headers, included below);
//   - a user type that opts in the way cereal expects, with a member
//       template <class Archive> void serialize(Archive& ar) { ar(x, y, name); }
//     or a non-member serialize/save/load found by argument-dependent lookup.
//     Such a type needs a default constructor.
// Raw pointers are never serializable: the address means nothing in the
// other process (pass a std::string instead of a const char*).
//
//   std::string bytes = concur::to_bytes(std::vector<int>{1, 2, 3});
//   auto v = concur::from_bytes<std::vector<int>>(bytes);
//
// from_bytes() treats its input as untrusted: truncated or inconsistent bytes
// throw ValueError (never read past the end, never allocate more than the
// input could describe).
#pragma once

#include <cereal/cereal.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/bitset.hpp>
#include <cereal/types/chrono.hpp>
#include <cereal/types/complex.hpp>
#include <cereal/types/deque.hpp>
#include <cereal/types/list.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/tuple.hpp>
#include <cereal/types/unordered_map.hpp>
#include <cereal/types/unordered_set.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>

#include "concur/detail/byte_archive.hpp"

namespace concur::detail {

// The standard class templates cereal already knows; a trivially copyable
// instance of one (std::array<int, 3>, std::optional<int>, ...) must use
// cereal's function, not the plain-struct one below, or the two collide.
template <class T>
struct is_cereal_std_type : std::false_type {};
template <class T, std::size_t N>
struct is_cereal_std_type<std::array<T, N>> : std::true_type {};
template <class T>
struct is_cereal_std_type<std::optional<T>> : std::true_type {};
template <class A, class B>
struct is_cereal_std_type<std::pair<A, B>> : std::true_type {};
template <class... T>
struct is_cereal_std_type<std::tuple<T...>> : std::true_type {};
template <class R, class P>
struct is_cereal_std_type<std::chrono::duration<R, P>> : std::true_type {};
template <class C, class D>
struct is_cereal_std_type<std::chrono::time_point<C, D>> : std::true_type {};
template <class T>
struct is_cereal_std_type<std::complex<T>> : std::true_type {};
template <std::size_t N>
struct is_cereal_std_type<std::bitset<N>> : std::true_type {};
template <class... T>
struct is_cereal_std_type<std::variant<T...>> : std::true_type {};

// PlainStruct: a trivially copyable class that has not opted in to cereal
// itself; it travels as its bytes, also inside containers.
template <class T>
concept PlainStruct =
    std::is_class_v<T> && std::is_trivially_copyable_v<T> && !is_cereal_std_type<T>::value &&
    !cereal::traits::has_member_serialize<T, OutputArchive>::value &&
    !cereal::traits::has_member_save<T, OutputArchive>::value &&
    !cereal::traits::has_non_member_serialize<T, OutputArchive>::value;

// BytewiseCopyable: what the fast path copies byte for byte: numbers, enums
// and plain structs (not a type that defines its own serialization).
template <class T>
concept BytewiseCopyable = std::is_arithmetic_v<T> || std::is_enum_v<T> || PlainStruct<T>;

}  // namespace concur::detail

namespace cereal {
template <concur::detail::PlainStruct T>
void CEREAL_SAVE_FUNCTION_NAME(concur::detail::OutputArchive& ar, const T& value) {
  ar.saveBinary(&value, sizeof value);
}
template <concur::detail::PlainStruct T>
void CEREAL_LOAD_FUNCTION_NAME(concur::detail::InputArchive& ar, T& value) {
  ar.loadBinary(&value, sizeof value);
}
// A vector of std::monostate (what map() over a void function yields) is
// its length and one zero byte per element: cereal writes an empty element
// as nothing, and the readers' rule that every element takes a byte (which
// keeps a hostile length from allocating) would refuse it.
template <class A>
void CEREAL_SAVE_FUNCTION_NAME(concur::detail::OutputArchive& ar,
                               const std::vector<std::monostate, A>& values) {
  ar(make_size_tag(static_cast<size_type>(values.size())));
  const std::string zeros(values.size(), '\0');
  ar.saveBinary(zeros.data(), zeros.size());
}
template <class A>
void CEREAL_LOAD_FUNCTION_NAME(concur::detail::InputArchive& ar,
                               std::vector<std::monostate, A>& values) {
  size_type size = 0;
  ar(make_size_tag(size));  // checked against the bytes left
  for (size_type i = 0; i < size; ++i) {
    char zero = 1;
    ar.loadBinary(&zero, 1);
    if (zero != 0) throw concur::ValueError("concur::deserialize: corrupt input: a monostate");
  }
  values.assign(static_cast<std::size_t>(size), std::monostate{});
}
}  // namespace cereal

namespace concur {

namespace detail {

// Has cereal a save and a load (or a serialize) for T itself? This says
// nothing of a container's elements: std::vector<T> has one for every T.
template <class T>
concept CerealKnows = std::is_default_constructible_v<T> &&
    cereal::traits::is_output_serializable<T, OutputArchive>::value &&
    cereal::traits::is_input_serializable<T, InputArchive>::value;

// serializable_deep: cereal's answer, checked again for the element types of
// the standard containers, so std::vector<int*> is refused at compile time
// instead of failing deep inside cereal.
template <class T>
struct serializable_deep
    : std::bool_constant<std::is_object_v<T> && !std::is_pointer_v<T> && !std::is_const_v<T> &&
                         (BytewiseCopyable<T> || CerealKnows<T>)> {};
template <class... T>
struct all_serializable : std::bool_constant<(serializable_deep<T>::value && ...)> {};

template <class T, class A>
struct serializable_deep<std::vector<T, A>> : all_serializable<T> {};
template <class T, class A>
struct serializable_deep<std::deque<T, A>> : all_serializable<T> {};
template <class T, class A>
struct serializable_deep<std::list<T, A>> : all_serializable<T> {};
template <class T, std::size_t N>
struct serializable_deep<std::array<T, N>> : all_serializable<T> {};
template <class T>
struct serializable_deep<std::optional<T>> : all_serializable<T> {};
template <class A, class B>
struct serializable_deep<std::pair<A, B>> : all_serializable<A, B> {};
template <class... T>
struct serializable_deep<std::tuple<T...>> : all_serializable<T...> {};
template <class... T>
struct serializable_deep<std::variant<T...>> : all_serializable<T...> {};
template <class K, class C, class A>
struct serializable_deep<std::set<K, C, A>> : all_serializable<K> {};
template <class K, class V, class C, class A>
struct serializable_deep<std::map<K, V, C, A>> : all_serializable<K, V> {};
template <class K, class H, class E, class A>
struct serializable_deep<std::unordered_set<K, H, E, A>> : all_serializable<K> {};
template <class K, class V, class H, class E, class A>
struct serializable_deep<std::unordered_map<K, V, H, E, A>> : all_serializable<K, V> {};

}  // namespace detail

// Serializable: T can be written to bytes and rebuilt from them.
template <class T>
concept Serializable = detail::serializable_deep<T>::value;

namespace detail {

// write_value / read_value: one value, with the byte-for-byte fast path.
template <Serializable T>
void write_value(std::string& out, const T& value) {
  if constexpr (BytewiseCopyable<T>) {
    out.append(reinterpret_cast<const char*>(&value), sizeof value);
  } else {
    OutputArchive archive(out);
    archive(value);
  }
}

// read_bytewise: a trivially copyable T from its bytes, also for types with
// no default constructor (such as a lambda's closure type).
template <BytewiseCopyable T>
T read_bytewise(ByteReader& in) {
  if constexpr (std::is_same_v<T, bool>) return read_bool(in);
  alignas(T) unsigned char storage[sizeof(T)];
  in.read(storage, sizeof(T));
  return *std::launder(reinterpret_cast<T*>(storage));
}

template <Serializable T>
T read_value(ByteReader& in) {
  if constexpr (BytewiseCopyable<T>) {
    return read_bytewise<T>(in);
  } else {
    InputArchive archive(in);
    T value;
    try {
      archive(value);
    } catch (const cereal::Exception& e) {
      // cereal's own checks (a variant's index out of range, ...).
      throw ValueError(std::string("concur::deserialize: corrupt input: ") + e.what());
    }
    return value;
  }
}

}  // namespace detail

// to_bytes: value as bytes.
template <Serializable T>
std::string to_bytes(const T& value) {
  std::string out;
  detail::write_value(out, value);
  return out;
}

// from_bytes: the value that to_bytes() wrote; ValueError if the bytes are
// truncated, corrupt, or longer than one value.
template <Serializable T>
T from_bytes(std::string_view bytes) {
  detail::ByteReader in(bytes);
  T value = detail::read_value<T>(in);
  in.expect_end("concur::from_bytes: after the value");
  return value;
}

}  // namespace concur
