// concur/by_value.hpp - concur::by_value, the caller's word that a lambda's
// captures are values. Included by executor.hpp; see
// concur/process_pool_executor.hpp for the rules it is part of.
//
//   int offset = 40;
//   pool.submit(concur::by_value([offset](int x) { return x + offset; }), 2);   // 42
//
// A process pool ships a capturing lambda as the bytes of its captures. C++
// cannot tell a lambda that captured [x] from one that captured [&x] (both
// are trivially copyable), and an address is garbage in another process, so
// a bare capturing lambda does not compile for a process pool: wrapping it
// in by_value() says its captures are plain values. The captures must be
// trivially copyable (numbers, enums, plain structs, FileGate-like handles),
// never references or pointers to the caller's memory. On a thread pool a
// by_value lambda is just the lambda.
#pragma once

#include <type_traits>
#include <utility>

namespace concur {

template <class L>
struct ByValue {
  L fn;

  template <class... Args>
  decltype(auto) operator()(Args&&... args) const {
    return fn(std::forward<Args>(args)...);
  }
  template <class... Args>
  decltype(auto) operator()(Args&&... args) {
    return fn(std::forward<Args>(args)...);
  }
};

// by_value: wraps `lambda` for shipping by the bytes of its captures. (A
// process pool checks, where it ships it, that they are trivially copyable:
// GCC 12 can judge a closure type declared in a template incomplete here.)
template <class L>
ByValue<std::decay_t<L>> by_value(L&& lambda) {
  return ByValue<std::decay_t<L>>{std::forward<L>(lambda)};
}

namespace detail {
template <class T>
struct is_by_value : std::false_type {};
template <class L>
struct is_by_value<ByValue<L>> : std::true_type {};
}  // namespace detail

}  // namespace concur
