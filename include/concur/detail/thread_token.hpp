// concur/detail/thread_token.hpp - a cheap, non-zero identity of the calling
// thread, unique among live threads. Not API.
#pragma once

#include <cstdint>

namespace concur::detail {

inline std::uintptr_t this_thread_token() noexcept {
  static thread_local const char anchor = 0;
  return reinterpret_cast<std::uintptr_t>(&anchor);
}

}  // namespace concur::detail
