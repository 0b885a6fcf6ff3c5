// concur/detail/remote_call.hpp - a call as bytes, run in another process,
// its outcome as bytes. Not API; see concur/process_pool_executor.hpp.
//
// A call is encoded as
//   [trampoline CodeAddress][callable][argument 1]...[argument n]
// where the trampoline is run_shipped_call<F, Args...>, the one function
// that knows how to decode exactly this callable and these arguments. The
// callable is a function pointer (shipped as its own CodeAddress) or a
// trivially copyable object (shipped as its bytes: a lambda's captures).
// An outcome is one status byte, then the value or the exception.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <new>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "concur/by_value.hpp"
#include "concur/detail/code_address.hpp"
#include "concur/detail/future_state.hpp"
#include "concur/detail/submit.hpp"
#include "concur/serialize.hpp"

namespace concur::detail {

// A map() chunk ships as the callable inside it.
template <class F>
struct is_map_chunk : std::false_type {};
template <class F, class R, class Args>
struct is_map_chunk<MapChunk<F, R, Args>> : std::true_type {};

// SerializableCallable: a callable class type that is Serializable in its
// own right: an aggregate of plain values (a struct with operator(), sent
// as its bytes), or a type with a cereal serialize(). A closure type is
// never an aggregate, so a capturing lambda is not one of these.
template <class F>
concept SerializableCallable = std::is_class_v<F> && Serializable<F> &&
    (!PlainStruct<F> || std::is_aggregate_v<F>);

// Shippable: a callable that can be named in another process: a function
// pointer, a captureless lambda (an empty class), a lambda wrapped in
// by_value() (its captures' bytes travel), a SerializableCallable, or a
// map() chunk of any of these.
template <class F>
concept Shippable = (std::is_pointer_v<F> && std::is_function_v<std::remove_pointer_t<F>>) ||
                    (std::is_empty_v<F> && std::is_trivially_copyable_v<F>) ||
                    (is_by_value<F>::value && std::is_trivially_copyable_v<F>) ||
                    SerializableCallable<F> || is_map_chunk<F>::value;

// The compile-time checks of ProcessPoolExecutor::submit, one static_assert
// each, in a template of its own named after the offending type, so the
// first error the compiler prints is the assertion, with the type in it.
template <class F>
struct shippable_callable_check {
  static_assert(Shippable<F>,
                "ProcessPoolExecutor: this callable cannot be shipped to a worker process (the "
                "type is named in this error). A capturing lambda must be wrapped: "
                "concur::by_value([x](...) {...}) says its captures are values (C++ cannot tell "
                "[x] from [&x], and an address is garbage in another process); they must be "
                "trivially copyable (numbers, enums, plain structs). Or pass a "
                "function pointer, a captureless lambda, or a Serializable callable struct, and "
                "pass the data as arguments.");
  static constexpr bool ok = Shippable<F>;
};
template <class F, class R, class Args>
struct shippable_callable_check<MapChunk<F, R, Args>> : shippable_callable_check<F> {};

template <class T>
struct serializable_argument_check {
  static_assert(Serializable<T>,
                "ProcessPoolExecutor: this argument type (named in this error) is not "
                "concur::Serializable. Use std::string rather than const char*, values rather "
                "than pointers or references to move-only types, or give the type a cereal "
                "serialize() member (see <concur/serialize.hpp>).");
  static constexpr bool ok = Serializable<T>;
};
template <class R>
struct serializable_result_check {
  static_assert(std::is_void_v<R> || Serializable<R>,
                "ProcessPoolExecutor: the callable's result type (named in this error) is not "
                "concur::Serializable (see <concur/serialize.hpp>).");
  static constexpr bool ok = std::is_void_v<R> || Serializable<R>;
};

enum class Outcome : std::uint8_t { value = 0, exception = 1 };

// A trampoline: reads a call from `in`, runs it, writes its outcome to `out`.
using Trampoline = void (*)(ByteReader& in, std::string& out) noexcept;

// write_exception: the exception being handled, as an outcome (type, what).
void write_current_exception(std::string& out) noexcept;
// read_exception: the exception write_current_exception() wrote, rebuilt as
// the same standard or concur type where possible, else RemoteError.
std::exception_ptr read_exception(ByteReader& in);

template <class T>
void write_pod(std::string& out, const T& value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

template <class F>
void write_callable(std::string& out, const F& fn) {
  if constexpr (is_map_chunk<F>::value) {
    write_callable(out, fn.fn);
  } else if constexpr (std::is_pointer_v<F>) {
    write_pod(out, locate_code(reinterpret_cast<std::uintptr_t>(fn)));
  } else if constexpr (std::is_trivially_copyable_v<F>) {
    write_pod(out, fn);
  } else if constexpr (Serializable<F>) {
    write_value(out, fn);
  }
}
template <class F>
F read_callable(ByteReader& in) {
  if constexpr (is_map_chunk<F>::value) {
    return F{read_callable<decltype(F::fn)>(in)};
  } else if constexpr (std::is_pointer_v<F>) {
    return reinterpret_cast<F>(resolve_code(in.pod<CodeAddress>()));
  } else if constexpr (std::is_trivially_copyable_v<F>) {
    return in.pod<F>();
  } else if constexpr (Serializable<F>) {
    return read_value<F>(in);
  } else {
    // Unreachable: submit() checks Shippable<F>. (GCC 12 can instantiate
    // this for a closure type that is still being completed.)
    throw ValueError("concur: a callable that is not trivially copyable cannot be shipped");
  }
}

// run_shipped_call: the worker side of one submit instantiation.
template <class F, class... Args>
void run_shipped_call(ByteReader& in, std::string& out) noexcept {
  using R = std::invoke_result_t<F&, Args&...>;
  try {
    F fn = read_callable<F>(in);
    // Braced initialisation reads the arguments left to right.
    std::tuple<Args...> args{read_value<Args>(in)...};
    if constexpr (std::is_void_v<R>) {
      std::apply(fn, args);
      out.push_back(static_cast<char>(Outcome::value));
    } else {
      const std::decay_t<R> value = std::apply(fn, args);
      out.push_back(static_cast<char>(Outcome::value));
      write_value(out, value);
    }
  } catch (...) {
    out.clear();
    write_current_exception(out);
  }
}

// encode_call: the bytes of fn(args...), for run_shipped_call<F, Args...>.
template <class F, class... Args>
std::string encode_call(const F& fn, const Args&... args) {
  constexpr Trampoline trampoline = &run_shipped_call<F, Args...>;
  std::string out;
  write_pod(out, code_address_of<trampoline>());
  write_callable(out, fn);
  (write_value(out, args), ...);
  return out;
}

// run_encoded_call: the worker's entry: decode the trampoline, run it.
void run_encoded_call(std::string_view call, std::string& outcome) noexcept;

// deliver_outcome<R>: completes a FutureState<R> with an outcome's bytes.
// The bytes come from another process: corrupt ones throw ValueError and
// leave the future untouched.
template <class R>
void deliver_outcome(FutureStateBase& target, std::string_view bytes) {
  auto& state = static_cast<FutureState<R>&>(target);
  if (bytes.empty()) throw ValueError("concur: empty outcome");
  ByteReader in(bytes);
  const auto outcome = static_cast<Outcome>(in.pod<std::uint8_t>());
  if (outcome == Outcome::exception) {
    std::exception_ptr error = read_exception(in);
    state.set_exception(std::move(error));
    return;
  }
  if (outcome != Outcome::value) throw ValueError("concur: unknown outcome tag");
  if constexpr (std::is_void_v<R>) {
    in.expect_end("concur: a void outcome");
    state.set_value();
  } else {
    R value = read_value<R>(in);
    in.expect_end("concur: an outcome's value");
    state.set_value(std::move(value));
  }
}

}  // namespace concur::detail
