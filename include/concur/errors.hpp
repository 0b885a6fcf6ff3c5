// concur/errors.hpp - every exception concur throws.
//
// All derive from concur::Error, itself a std::runtime_error, so one
// `catch (const concur::Error&)` sees them all. The names are Python's:
//
//   RuntimeError         misuse: releasing an unlocked Lock, releasing an RLock
//                        you do not own, waiting on a Condition you do not hold,
//                        submitting after shutdown
//   ValueError           a bad value: a negative semaphore value, zero parties,
//                        a BoundedSemaphore released too often
//   TimeoutError         a wait with a timeout ran out
//   CancelledError       the result of a cancelled future was asked for
//   InvalidStateError    a future was completed twice
//   BrokenExecutor       the pool cannot run work any more; BrokenThreadPool and
//                        BrokenProcessPool derive from it (Python's chain), so
//                        `catch (const BrokenExecutor&)` catches both pools
//   BrokenBarrierError   the barrier was broken (abort, reset, timeout, action)
//   QueueEmpty, QueueFull, QueueShutDown   queue.Empty, queue.Full, queue.ShutDown
//   RemoteError          an exception raised in a worker process whose type
//                        could not be rebuilt; what() names the remote type
//   ExceptionGroup       several exceptions at once (an asyncio TaskGroup's
//                        failed tasks); exceptions() holds them
//
// Every message says what was wrong, in the words Python uses where it has them.
#pragma once

#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

namespace concur {

// Error: the base of every concur exception.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class RuntimeError : public Error {
 public:
  using Error::Error;
};

class ValueError : public Error {
 public:
  using Error::Error;
};

class TimeoutError : public Error {
 public:
  using Error::Error;
};

class CancelledError : public Error {
 public:
  using Error::Error;
};

class InvalidStateError : public Error {
 public:
  using Error::Error;
};

class BrokenExecutor : public Error {
 public:
  using Error::Error;
};

class BrokenThreadPool : public BrokenExecutor {
 public:
  using BrokenExecutor::BrokenExecutor;
};

class BrokenProcessPool : public BrokenExecutor {
 public:
  using BrokenExecutor::BrokenExecutor;
};

class BrokenBarrierError : public Error {
 public:
  using Error::Error;
};

class QueueEmpty : public Error {
 public:
  using Error::Error;
};

class QueueFull : public Error {
 public:
  using Error::Error;
};

class QueueShutDown : public Error {
 public:
  using Error::Error;
};

// RemoteError: an exception from a worker process whose type could not be
// rebuilt here. what() is "<remote type>: <remote message>".
class RemoteError : public Error {
 public:
  RemoteError(std::string remote_type, const std::string& message);

  // remote_type: the name of the exception type raised in the worker.
  const std::string& remote_type() const noexcept { return remote_type_; }

 private:
  std::string remote_type_;
};

// ExceptionGroup: Python's ExceptionGroup, for the failures of a
// concur::asyncio::TaskGroup. what() is the message and the count, as
// "unhandled errors in a TaskGroup (2 sub-exceptions)".
class ExceptionGroup : public Error {
 public:
  ExceptionGroup(const std::string& message, std::vector<std::exception_ptr> exceptions);

  const std::vector<std::exception_ptr>& exceptions() const noexcept { return exceptions_; }

 private:
  std::vector<std::exception_ptr> exceptions_;
};

}  // namespace concur
