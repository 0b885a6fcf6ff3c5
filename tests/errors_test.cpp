// errors.hpp: concur's error hierarchy, with Python's relations kept (GEN-06).
#include "concur/errors.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <type_traits>

namespace concur {
namespace {

template <class Derived, class Base>
constexpr bool is_a = std::is_base_of_v<Base, Derived>;

TEST(ErrorsTest, GEN_06_EveryErrorIsAConcurErrorAndAStdRuntimeError) {
  static_assert(is_a<Error, std::runtime_error>);
  static_assert(is_a<RuntimeError, Error>);
  static_assert(is_a<ValueError, Error>);
  static_assert(is_a<TimeoutError, Error>);
  static_assert(is_a<CancelledError, Error>);
  static_assert(is_a<InvalidStateError, Error>);
  static_assert(is_a<BrokenExecutor, Error>);
  static_assert(is_a<BrokenBarrierError, Error>);
  static_assert(is_a<QueueEmpty, Error>);
  static_assert(is_a<QueueFull, Error>);
  static_assert(is_a<QueueShutDown, Error>);
  static_assert(is_a<RemoteError, Error>);
  SUCCEED();
}

TEST(ErrorsTest, GEN_06_CatchingBrokenExecutorCatchesBothPools) {
  static_assert(is_a<BrokenThreadPool, BrokenExecutor>);
  static_assert(is_a<BrokenProcessPool, BrokenExecutor>);
  EXPECT_THROW(throw BrokenThreadPool("thread pool broke"), BrokenExecutor);
  EXPECT_THROW(throw BrokenProcessPool("process pool broke"), BrokenExecutor);
}

TEST(ErrorsTest, GEN_06_QueueErrorsAreUnrelatedToEachOther) {
  static_assert(!is_a<QueueEmpty, QueueFull> && !is_a<QueueFull, QueueEmpty>);
  static_assert(!is_a<QueueShutDown, QueueEmpty> && !is_a<QueueShutDown, QueueFull>);
  SUCCEED();
}

TEST(ErrorsTest, MessagesAreKept) {
  EXPECT_STREQ(ValueError("n must be one or more").what(), "n must be one or more");
}

TEST(ErrorsTest, RemoteErrorNamesTheRemoteType) {
  const RemoteError error("MyError", "it went wrong");
  EXPECT_EQ(error.remote_type(), "MyError");
  EXPECT_STREQ(error.what(), "MyError: it went wrong");
}

}  // namespace
}  // namespace concur
