// concur/detail/mutex.hpp - std::mutex as a capability Clang's thread-safety
// analysis knows, and the scoped lock that holds it. Not API.
//
// A member declared `T x CONCUR_GUARDED_BY(mutex_);` beside a Mutex is
// then checked at compile time (clang -Wthread-safety, the CI's clang
// preset): touching it without holding mutex_ is an error.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <utility>

#include "concur/detail/thread_annotations.hpp"

namespace concur::detail {

class CONCUR_CAPABILITY("mutex") Mutex {
 public:
  void lock() CONCUR_ACQUIRE() { mutex_.lock(); }
  void unlock() CONCUR_RELEASE() { mutex_.unlock(); }
  bool try_lock() CONCUR_TRY_ACQUIRE(true) { return mutex_.try_lock(); }

 private:
  friend class MutexLock;
  std::mutex mutex_;
};

// MutexLock: holds a Mutex for its scope, or until unlock(). A
// std::unique_lock underneath, so a std::condition_variable can wait on it;
// such a wait lets the mutex go and takes it back before it returns, so to
// the analysis the mutex stays held throughout.
class CONCUR_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mutex) CONCUR_ACQUIRE(mutex) : lock_(mutex.mutex_) {}
  ~MutexLock() CONCUR_RELEASE() {}
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  void unlock() CONCUR_RELEASE() { lock_.unlock(); }

  void wait(std::condition_variable& condition) { condition.wait(lock_); }
  template <class Predicate>
  void wait(std::condition_variable& condition, Predicate ready) {
    condition.wait(lock_, std::move(ready));
  }
  template <class Clock, class Duration>
  std::cv_status wait_until(std::condition_variable& condition,
                            const std::chrono::time_point<Clock, Duration>& deadline) {
    return condition.wait_until(lock_, deadline);
  }

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace concur::detail
