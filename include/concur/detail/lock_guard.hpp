// concur/detail/lock_guard.hpp - std::lock_guard with thread-safety
// annotations, so Clang can check the members it guards. Not API.
#pragma once

#include "concur/detail/thread_annotations.hpp"

namespace concur::detail {

template <class Lockable>
class CONCUR_SCOPED_CAPABILITY LockGuard {
 public:
  explicit LockGuard(Lockable& lock) CONCUR_ACQUIRE(lock) : lock_(lock) { lock_.lock(); }
  ~LockGuard() CONCUR_RELEASE() { lock_.unlock(); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

 private:
  Lockable& lock_;
};

}  // namespace concur::detail
