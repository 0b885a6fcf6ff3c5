// Queue, LifoQueue, PriorityQueue and SimpleQueue: docs/spec.md
// sections QUE and SQ. Behaviours common to the bounded queues run as one
// typed suite over all three.
#include "concur/queue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "concur/detail/parking.hpp"
#include "concur/errors.hpp"
#include "support/threads.hpp"

namespace concur {
namespace {

using namespace std::chrono_literals;
using test::eventually;
using test::kHangGuard;
using test::kShort;
using test::Stopwatch;
using test::Threads;

template <class Q>
class QueueTest : public ::testing::Test {};
// MayThrowInt: an int whose move is not noexcept, so a Queue of it runs on
// the two-lock engine even when unbounded (Queue<int> is lock-free then).
struct MayThrowInt {
  int value;
  MayThrowInt(int v) : value(v) {}  // NOLINT: converts, as the tests put ints
  MayThrowInt(const MayThrowInt&) = default;
  MayThrowInt(MayThrowInt&& other) noexcept(false) : value(other.value) {}
  MayThrowInt& operator=(const MayThrowInt&) = default;
  operator int() const { return value; }  // NOLINT
};
static_assert(!std::is_nothrow_move_constructible_v<MayThrowInt>);

using BoundedQueues =
    ::testing::Types<Queue<int>, Queue<MayThrowInt>, LifoQueue<int>, PriorityQueue<int>>;
TYPED_TEST_SUITE(QueueTest, BoundedQueues);

// drain: every item, in get order, without blocking.
template <class Q>
std::vector<int> drain(Q& q) {
  std::vector<int> out;
  while (!q.empty())
    out.push_back(q.get_nowait());
  return out;
}

TEST(QueueOrderTest, QUE_01_QueueIsFifo) {
  Queue<int> q;
  for (int v : {111, 333, 222})
    q.put(v);
  EXPECT_EQ(drain(q), (std::vector<int>{111, 333, 222}));
}

TEST(QueueOrderTest, QUE_02_LifoQueueIsLifo) {
  LifoQueue<int> q;
  for (int v : {111, 333, 222})
    q.put(v);
  EXPECT_EQ(drain(q), (std::vector<int>{222, 333, 111}));
}

TEST(QueueOrderTest, QUE_03_PriorityQueueGivesTheSmallestFirstEqualItemsAllowed) {
  PriorityQueue<int> q;
  for (int v : {111, 333, 222})
    q.put(v);
  EXPECT_EQ(drain(q), (std::vector<int>{111, 222, 333}));
  for (int v : {5, 1, 3, 1})
    q.put(v);
  EXPECT_EQ(drain(q), (std::vector<int>{1, 1, 3, 5}));
}

TEST(QueueOrderTest, QUE_03_PriorityQueueTakesACustomCompare) {
  PriorityQueue<int, std::greater<int>> q;  // "smallest" by greater: largest first
  for (int v : {1, 3, 2})
    q.put(v);
  EXPECT_EQ(drain(q), (std::vector<int>{3, 2, 1}));
}

TYPED_TEST(QueueTest, QUE_04_MaxsizeZeroIsUnbounded) {
  TypeParam q(0);
  for (int i = 0; i < 10000; ++i)
    q.put_nowait(i);
  EXPECT_FALSE(q.full());
  EXPECT_EQ(q.qsize(), 10000u);
  EXPECT_EQ(q.maxsize(), 0u);
}

TYPED_TEST(QueueTest, QUE_05_QsizeEmptyAndFullFollowTheCount) {
  TypeParam q(5);
  EXPECT_TRUE(q.empty());
  EXPECT_FALSE(q.full());
  for (int i = 0; i < 5; ++i)
    q.put(i);
  EXPECT_EQ(q.qsize(), 5u);
  EXPECT_TRUE(q.full());
  EXPECT_FALSE(q.empty());
  EXPECT_EQ(q.maxsize(), 5u);
}

TYPED_TEST(QueueTest, QUE_06_PutOnAFullQueueBlocksUntilAGetFreesASlot) {
  TypeParam q(1);
  q.put(1);
  std::atomic<bool> put_done{false};
  std::thread putter([&] {
    q.put(2);
    put_done = true;
  });
  EXPECT_THROW(q.put(3, 10ms), QueueFull);  // still full
  EXPECT_FALSE(put_done);
  EXPECT_EQ(q.get(), 1);
  putter.join();
  EXPECT_TRUE(put_done);
  EXPECT_EQ(q.get(), 2);
}

TYPED_TEST(QueueTest, QUE_07_PutNowaitOnAFullQueueThrowsQueueFullAtOnce) {
  TypeParam q(1);
  q.put_nowait(1);
  EXPECT_THROW(q.put_nowait(2), QueueFull);
  EXPECT_EQ(q.qsize(), 1u);
}

TYPED_TEST(QueueTest, QUE_08_TimedPutOnAFullQueueThrowsAfterTheTimeoutZeroAtOnce) {
  TypeParam q(1);
  q.put(1);
  Stopwatch watch;
  EXPECT_THROW(q.put(2, kShort), QueueFull);
  EXPECT_WAITED_AT_LEAST(watch, kShort);
  EXPECT_THROW(q.put(2, 0s), QueueFull);
  EXPECT_EQ(q.qsize(), 1u);
}

TYPED_TEST(QueueTest, QUE_09_GetBlocksUntilAPutTimedAndNowaitThrowQueueEmpty) {
  TypeParam q;
  EXPECT_THROW(q.get_nowait(), QueueEmpty);
  Stopwatch watch;
  EXPECT_THROW(q.get(kShort), QueueEmpty);
  EXPECT_WAITED_AT_LEAST(watch, kShort);
  std::thread putter([&] { q.put(7); });
  EXPECT_EQ(q.get(), 7);
  putter.join();
}

TYPED_TEST(QueueTest, QUE_10_TimedGetUsesOneOverallDeadline) {
  // Items appear and are taken by a faster getter again and again; the slow
  // timed getter must still give up after its one deadline.
  TypeParam q;
  std::atomic<bool> stop{false};
  std::thread churn([&] {
    while (!stop) {
      q.put(1);
      try {
        q.get(10ms);
      } catch (const QueueEmpty&) {
      }
    }
  });
  const auto timeout = 100ms;
  Stopwatch watch;
  bool got_one = false;
  try {
    for (;;) {
      const auto left = timeout - watch.elapsed();
      if (left <= 0s) break;
      q.get(left);
      got_one = true;
    }
  } catch (const QueueEmpty&) {
  }
  stop = true;
  churn.join();
  EXPECT_LT(watch.elapsed(), kHangGuard);
  SUCCEED() << (got_one ? "took some items" : "took none");
}

TYPED_TEST(QueueTest, QUE_11_NegativeTimeoutsMeanTryOnce) {
  TypeParam q(1);
  EXPECT_THROW(q.get(-1s), QueueEmpty);
  q.put(1, -1s);  // room: succeeds
  EXPECT_THROW(q.put(2, -1s), QueueFull);
  EXPECT_EQ(q.get(-1s), 1);
}

TYPED_TEST(QueueTest, QUE_12_QUE_13_PutCountsUnfinishedTaskDoneUnblocksJoin) {
  TypeParam q;
  for (int i = 0; i < 3; ++i)
    q.put(i);
  for (int i = 0; i < 3; ++i)
    q.get();
  std::atomic<bool> joined{false};
  std::thread joiner([&] {
    q.join();  // getting is not finishing: waits for the task_done()s
    joined = true;
  });
  q.task_done();
  q.task_done();
  EXPECT_FALSE(joined);
  q.task_done();
  joiner.join();
  EXPECT_TRUE(joined);
}

TYPED_TEST(QueueTest, QUE_14_TaskDoneTooOftenThrowsValueErrorAndLeavesZero) {
  TypeParam q;
  try {
    q.task_done();
    FAIL() << "task_done() on a fresh queue accepted";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "task_done() called too many times");
  }
  q.put(1);
  q.get();
  q.task_done();
  EXPECT_THROW(q.task_done(), ValueError);
  q.join();  // the count is 0, not negative
}

TYPED_TEST(QueueTest, QUE_15_JoinReturnsAtOnceWhenDoneAndWorksFromManyThreads) {
  TypeParam q;
  q.join();
  q.put(1);
  std::atomic<int> joined{0};
  {
    Threads joiners(3, [&](std::size_t) {
      q.join();
      ++joined;
    });
    EXPECT_EQ(joined, 0);
    q.get();
    q.task_done();
  }
  EXPECT_EQ(joined, 3);
  q.join();
}

// Fragile: an item whose copies can be told to fail.
struct Fragile {
  static inline std::atomic<bool> fail_copies{false};
  int value = 0;
  explicit Fragile(int v) : value(v) {}
  Fragile(const Fragile& other) : value(other.value) {
    if (fail_copies) throw std::runtime_error("copy failed");
  }
  Fragile& operator=(const Fragile& other) {
    if (fail_copies) throw std::runtime_error("copy failed");
    value = other.value;
    return *this;
  }
  // No move constructor: moves are copies, so they can fail too.
  bool operator<(const Fragile& other) const { return value < other.value; }
};

// fail_a_put_and_a_get: with items 1 and 2 queued, a put and a get whose
// copies throw leave the count as it was.
template <class Q>
void fail_a_put_and_a_get(Q& q) {
  q.put(Fragile(1));
  q.put(Fragile(2));
  Fragile::fail_copies = true;
  EXPECT_THROW(q.put(Fragile(3)), std::runtime_error);
  EXPECT_EQ(q.qsize(), 2u);
  EXPECT_THROW(q.get(), std::runtime_error);
  EXPECT_EQ(q.qsize(), 2u);
  Fragile::fail_copies = false;
}

template <class Q>
void check_failing_copies_change_nothing() {
  Q q(3);
  fail_a_put_and_a_get(q);
  std::vector<int> values;
  while (!q.empty()) {
    values.push_back(q.get().value);
    q.task_done();
  }
  std::sort(values.begin(), values.end());
  EXPECT_EQ(values, (std::vector<int>{1, 2}));
  EXPECT_THROW(q.task_done(), ValueError);  // the failed put added no task
}

TEST(QueueFailureTest, QUE_16_AThrowingCopyLeavesEveryQueueUnchanged) {
  check_failing_copies_change_nothing<Queue<Fragile>>();
  check_failing_copies_change_nothing<LifoQueue<Fragile>>();
  check_failing_copies_change_nothing<PriorityQueue<Fragile>>();
}

TYPED_TEST(QueueTest, QUE_16_FullEmptyAndShutDownFailuresChangeNothing) {
  TypeParam q(1);
  EXPECT_THROW(q.get_nowait(), QueueEmpty);
  q.put(5);
  EXPECT_THROW(q.put_nowait(6), QueueFull);
  EXPECT_EQ(q.qsize(), 1u);
  q.shutdown();
  EXPECT_THROW(q.put_nowait(6), QueueShutDown);
  EXPECT_EQ(q.qsize(), 1u);
  EXPECT_EQ(q.get(), 5);
  q.task_done();
  EXPECT_THROW(q.task_done(), ValueError);
}

TYPED_TEST(QueueTest, QUE_17_NoLostWakeupsBetweenBlockedGettersAndPutters) {
  TypeParam q(2);
  constexpr int kPerThread = 2000;
  std::atomic<long> sum{0};
  {
    Threads threads(6, [&](std::size_t i) {
      for (int n = 1; n <= kPerThread; ++n) {
        if (i < 3) {
          q.put(n);
        } else {
          sum += q.get();
        }
      }
    });
  }
  EXPECT_EQ(sum, 3L * kPerThread * (kPerThread + 1) / 2);
  EXPECT_TRUE(q.empty());
}

TYPED_TEST(QueueTest, QUE_18_ShutdownMayBeCalledAgainInAnyMode) {
  TypeParam q;
  EXPECT_FALSE(q.is_shutdown());
  q.shutdown();
  EXPECT_TRUE(q.is_shutdown());
  q.shutdown(true);
  q.shutdown(false);
  EXPECT_TRUE(q.is_shutdown());
}

TYPED_TEST(QueueTest, QUE_19_PutAfterShutdownThrowsEvenOnAFullQueue) {
  for (bool immediate : {false, true}) {
    TypeParam q(1);
    q.put(1);
    q.shutdown(immediate);
    EXPECT_THROW(q.put(2), QueueShutDown);
    EXPECT_THROW(q.put_nowait(2), QueueShutDown);
    EXPECT_THROW(q.put(2, 1s), QueueShutDown);
  }
}

TYPED_TEST(QueueTest, QUE_20_AfterShutdownGetsDrainThenThrowShutDownWithoutWaiting) {
  TypeParam q;
  q.put(1);
  q.put(2);
  q.shutdown();
  EXPECT_EQ(q.qsize(), 2u);
  q.get();
  q.get_nowait();
  Stopwatch watch;
  EXPECT_THROW(q.get(), QueueShutDown);
  EXPECT_THROW(q.get_nowait(), QueueShutDown);
  EXPECT_THROW(q.get(kHangGuard), QueueShutDown);
  EXPECT_LT(watch.elapsed(), kHangGuard);
}

TYPED_TEST(QueueTest, QUE_21_ImmediateShutdownDrainsAndEveryGetThrows) {
  TypeParam q;
  q.put(1);
  q.put(2);
  q.shutdown(true);
  EXPECT_EQ(q.qsize(), 0u);
  EXPECT_THROW(q.get(), QueueShutDown);
  EXPECT_THROW(q.get_nowait(), QueueShutDown);
}

TYPED_TEST(QueueTest, QUE_22_ImmediateShutdownLowersUnfinishedByTheDrainedItemsOnly) {
  TypeParam q;
  for (int i = 0; i < 3; ++i)
    q.put(i);
  q.get();  // in progress: still unfinished after the shutdown
  q.shutdown(true);
  std::atomic<bool> joined{false};
  std::thread joiner([&] {
    q.join();
    joined = true;
  });
  EXPECT_FALSE(joined);
  q.task_done();
  joiner.join();
  EXPECT_TRUE(joined);
  EXPECT_THROW(q.task_done(), ValueError);
}

TYPED_TEST(QueueTest, QUE_23_JoinNeverThrowsShutDownAndReturnsOnceTheCountIsZero) {
  TypeParam q;
  q.put(1);
  q.put(2);
  std::atomic<bool> joined{false};
  std::thread joiner([&] {
    q.join();
    joined = true;
  });
  q.shutdown(true);  // nothing in progress: the joiner is released
  joiner.join();
  EXPECT_TRUE(joined);
  EXPECT_NO_THROW(q.join());
}

TYPED_TEST(QueueTest, QUE_24_PlainShutdownLeavesTheUnfinishedCountAlone) {
  TypeParam q;
  q.put(1);
  q.shutdown();
  std::atomic<bool> joined{false};
  std::thread joiner([&] {
    q.join();
    joined = true;
  });
  EXPECT_EQ(q.get(), 1);
  EXPECT_FALSE(joined);
  q.task_done();
  joiner.join();
  EXPECT_TRUE(joined);
}

TYPED_TEST(QueueTest, QUE_25_BlockedPuttersWakeWithShutDown) {
  for (bool immediate : {false, true}) {
    TypeParam q(1);
    q.put(1);
    std::atomic<int> started{0};
    std::atomic<int> shut_down{0};
    {
      Threads putters(3, [&](std::size_t) {
        ++started;
        try {
          q.put(2);
        } catch (const QueueShutDown&) {
          ++shut_down;
        }
      });
      ASSERT_TRUE(eventually([&] { return started == 3; }));
      q.shutdown(immediate);
    }
    EXPECT_EQ(shut_down, 3);
  }
}

TYPED_TEST(QueueTest, QUE_26_BlockedGettersWakeWithShutDown) {
  TypeParam q;
  std::atomic<int> started{0};
  std::atomic<int> shut_down{0};
  {
    Threads getters(3, [&](std::size_t) {
      ++started;
      try {
        q.get();
      } catch (const QueueShutDown&) {
        ++shut_down;
      }
    });
    ASSERT_TRUE(eventually([&] { return started == 3; }));
    q.shutdown();
  }
  EXPECT_EQ(shut_down, 3);
}

TYPED_TEST(QueueTest, QUE_27_PlainShutdownWithTwoItemsAndThreeGettersGivesTwoItemsOneShutDown) {
  TypeParam q;
  q.put(1);
  q.put(2);
  q.shutdown();
  std::atomic<int> items{0};
  std::atomic<int> shut_down{0};
  {
    Threads getters(3, [&](std::size_t) {
      try {
        q.get();
        ++items;
      } catch (const QueueShutDown&) {
        ++shut_down;
      }
    });
  }
  EXPECT_EQ(items, 2);
  EXPECT_EQ(shut_down, 1);
}

TYPED_TEST(QueueTest, QUE_28_ImmediateShutdownFailsBlockedAndArrivingGetters) {
  TypeParam q;
  std::atomic<int> started{0};
  std::atomic<int> shut_down{0};
  {
    Threads getters(3, [&](std::size_t) {
      ++started;
      try {
        q.get();
      } catch (const QueueShutDown&) {
        ++shut_down;
      }
    });
    ASSERT_TRUE(eventually([&] { return started == 3; }));
    q.put_nowait(9);  // may be taken by a getter before the shutdown
    q.shutdown(true);
  }
  EXPECT_GE(shut_down, 2);
  EXPECT_THROW(q.get(), QueueShutDown);
}

TYPED_TEST(QueueTest, QUE_29_ShutdownMidStreamEndsEveryProducerAndConsumer) {
  for (bool immediate : {false, true}) {
    TypeParam q(4);
    std::atomic<int> ended{0};
    std::atomic<int> produced{0};
    {
      Threads threads(10, [&](std::size_t i) {
        try {
          for (;;) {
            if (i < 4) {
              q.put(1);
              ++produced;
            } else {
              q.get();
            }
          }
        } catch (const QueueShutDown&) {
          ++ended;
        }
      });
      ASSERT_TRUE(eventually([&] { return produced > 100; }));
      q.shutdown(immediate);
    }
    EXPECT_EQ(ended, 10);
    EXPECT_THROW(q.put(1), QueueShutDown);
    if (immediate) {
      EXPECT_EQ(q.qsize(), 0u);
    }
  }
}

TEST(QueueTypesTest, MoveOnlyAndNonDefaultConstructibleItemsWork) {
  Queue<std::unique_ptr<int>> q;
  q.put(std::make_unique<int>(4));
  EXPECT_EQ(*q.get(), 4);
  PriorityQueue<std::unique_ptr<int>,
                bool (*)(const std::unique_ptr<int>&, const std::unique_ptr<int>&)>
      by_value(
          0, [](const std::unique_ptr<int>& a, const std::unique_ptr<int>& b) { return *a < *b; });
  by_value.put(std::make_unique<int>(2));
  by_value.put(std::make_unique<int>(1));
  EXPECT_EQ(*by_value.get(), 1);
  struct NoDefault {
    explicit NoDefault(int v) : value(v) {}
    int value;
  };
  LifoQueue<NoDefault> lifo;
  lifo.put(NoDefault(3));
  EXPECT_EQ(lifo.get().value, 3);
}

TEST(QueueTypesTest, AGottenItemIsReleasedAtOnce) {
  Queue<std::shared_ptr<int>> q;
  auto item = std::make_shared<int>(1);
  std::weak_ptr<int> watch = item;
  q.put(std::move(item));
  q.get();  // the returned pointer dies here; the queue keeps nothing
  EXPECT_TRUE(watch.expired());
}

TEST(QueueTypesTest, ImmediateShutdownDestroysDrainedItemsOutsideTheLock) {
  // A drained item whose destructor uses the queue must not deadlock.
  struct Reentrant {
    Queue<Reentrant>* queue = nullptr;
    explicit Reentrant(Queue<Reentrant>* q) : queue(q) {}
    Reentrant(Reentrant&& other) noexcept : queue(std::exchange(other.queue, nullptr)) {}
    ~Reentrant() {
      if (queue != nullptr) {
        EXPECT_EQ(queue->qsize(), 0u);
        EXPECT_THROW(queue->put(Reentrant(nullptr)), QueueShutDown);
      }
    }
  };
  Queue<Reentrant> q;
  q.put(Reentrant(&q));
  q.shutdown(true);
}

// --- SimpleQueue ---------------------------------------------------------------

TEST(SimpleQueueTest, SQ_01_FifoUnboundedPutNeverBlocks) {
  SimpleQueue<int> q;
  for (int i = 0; i < 10000; ++i)
    q.put(i);
  q.put_nowait(10000);
  for (int i = 0; i <= 10000; ++i)
    ASSERT_EQ(q.get(), i);
}

TEST(SimpleQueueTest, SQ_02_QsizeAndEmptyAreExactInOneThread) {
  SimpleQueue<int> q;
  EXPECT_TRUE(q.empty());
  q.put(1);
  EXPECT_EQ(q.qsize(), 1u);
  q.put(2);
  q.put(3);
  q.put(4);
  EXPECT_EQ(q.qsize(), 4u);
  for (std::size_t left = 3; left != static_cast<std::size_t>(-1); --left) {
    q.get();
    EXPECT_EQ(q.qsize(), left);
  }
  EXPECT_TRUE(q.empty());
}

TEST(SimpleQueueTest, SQ_03_SQ_04_EmptyGetsThrowQueueEmptyNegativeTimeoutTriesOnce) {
  SimpleQueue<int> q;
  EXPECT_THROW(q.get_nowait(), QueueEmpty);
  Stopwatch watch;
  EXPECT_THROW(q.get(kShort), QueueEmpty);
  EXPECT_WAITED_AT_LEAST(watch, kShort);
  EXPECT_THROW(q.get(-1s), QueueEmpty);
  q.put(1);
  EXPECT_EQ(q.get(-1s), 1);
}

TEST(SimpleQueueTest, SQ_05_OneProducerOneConsumerKeepOrder) {
  SimpleQueue<int> q;
  constexpr int kCount = 20000;
  std::thread producer([&] {
    for (int i = 0; i < kCount; ++i)
      q.put(i);
  });
  for (int i = 0; i < kCount; ++i)
    ASSERT_EQ(q.get(), i);
  producer.join();
}

TEST(SimpleQueueTest, SQ_06_ManyProducersAndConsumersDeliverEveryItemOnce) {
  SimpleQueue<int> q;
  constexpr int kThreads = 50;
  constexpr int kPerThread = 200;
  std::mutex m;
  std::vector<int> seen;
  {
    Threads threads(2 * kThreads, [&](std::size_t i) {
      if (i < kThreads) {
        for (int n = 0; n < kPerThread; ++n)
          q.put(static_cast<int>(i) * kPerThread + n);
        return;
      }
      for (int n = 0; n < kPerThread; ++n) {
        int v = 0;
        switch (i % 3) {
          case 0:
            v = q.get();
            break;
          case 1:
            for (;;) {  // non-blocking polling
              try {
                v = q.get_nowait();
                break;
              } catch (const QueueEmpty&) {
                std::this_thread::yield();
              }
            }
            break;
          default:
            for (;;) {  // timed
              try {
                v = q.get(1ms);
                break;
              } catch (const QueueEmpty&) {
              }
            }
        }
        std::scoped_lock hold(m);
        seen.push_back(v);
      }
    });
  }
  std::sort(seen.begin(), seen.end());
  ASSERT_EQ(seen.size(), static_cast<std::size_t>(kThreads * kPerThread));
  for (int i = 0; i < kThreads * kPerThread; ++i)
    ASSERT_EQ(seen[i], i);
}

TEST(SimpleQueueTest, SQ_07_TheQueueKeepsNoReferenceToAGottenItem) {
  SimpleQueue<std::shared_ptr<int>> q;
  auto item = std::make_shared<int>(1);
  std::weak_ptr<int> watch = item;
  q.put(std::move(item));
  q.get();
  EXPECT_TRUE(watch.expired());
}

TEST(SimpleQueueTest, SQ_08_AnItemDestructorMayPutIntoTheSameQueue) {
  struct Echo {
    SimpleQueue<Echo>* queue = nullptr;
    int generation = 0;
    Echo(SimpleQueue<Echo>* q, int g) : queue(q), generation(g) {}
    Echo(Echo&& other) noexcept
        : queue(std::exchange(other.queue, nullptr)), generation(other.generation) {}
    ~Echo() {
      if (queue != nullptr && generation < 3) queue->put(Echo(queue, generation + 1));
    }
  };
  SimpleQueue<Echo> q;
  q.put(Echo(&q, 0));
  for (int g = 0; g <= 3; ++g)
    EXPECT_EQ(q.get(kHangGuard).generation, g);
  EXPECT_TRUE(q.empty());
}

template <class Q>
concept HasTaskTracking = requires(Q& q) {
  q.task_done();
  q.join();
};
template <class Q>
concept HasShutdown = requires(Q& q) {
  q.shutdown();
};
template <class Q>
concept HasMaxsize = requires(Q& q) {
  q.maxsize();
};

TEST(SimpleQueueTest, SQ_09_SimpleQueueHasNoTaskTrackingOrShutdown) {
  static_assert(!HasTaskTracking<SimpleQueue<int>> && !HasShutdown<SimpleQueue<int>> &&
                !HasMaxsize<SimpleQueue<int>>);
  static_assert(HasTaskTracking<Queue<int>> && HasShutdown<Queue<int>> && HasMaxsize<Queue<int>>);
  SUCCEED();
}

// --- SimpleQueue's lock-free engine (detail/ticket_fifo.hpp) ----------------------

// Counted: a nothrow-movable item that counts its live instances, so a test
// can tell that every item left in a queue is destroyed with it.
struct Counted {
  static inline std::atomic<int> alive{0};
  int value = 0;
  explicit Counted(int v) noexcept : value(v) { ++alive; }
  Counted(Counted&& other) noexcept : value(other.value) { ++alive; }
  Counted(const Counted&) = delete;
  ~Counted() { --alive; }
};

// Wide: an item big enough that a segment holds the minimum of 32 slots, so a
// test reaches segment boundaries, retirement and reuse with few items.
struct Wide {
  int value = 0;
  char padding[2048] = {};
};

TEST(SimpleQueueTest, AThrowingCopyLeavesTheQueueUnchanged) {
  // An item whose move may throw takes the two-lock engine, which can leave
  // it at the head; the lock-free one serves the rest.
  SimpleQueue<Fragile> q;
  fail_a_put_and_a_get(q);
  EXPECT_EQ(q.get().value, 1);
  EXPECT_EQ(q.get().value, 2);
  EXPECT_TRUE(q.empty());
}

TEST(SimpleQueueTest, ItemsLeftInTheQueueAreDestroyedWithIt) {
  {
    SimpleQueue<Counted> q;
    for (int i = 0; i < 5000; ++i)  // several segments
      q.put(Counted(i));
    for (int i = 0; i < 2500; ++i)
      ASSERT_EQ(q.get().value, i);
    EXPECT_EQ(Counted::alive.load(), 2500);
  }
  EXPECT_EQ(Counted::alive.load(), 0);
}

TEST(SimpleQueueTest, SegmentsAreReusedAndOrderIsKept) {
  SimpleQueue<Wide> q;
  int next_put = 0;
  int next_get = 0;
  for (int round = 0; round < 50; ++round) {  // a few items ahead, many segments through
    for (int i = 0; i < 7; ++i)
      q.put(Wide{next_put++});
    for (int i = 0; i < 5; ++i)
      ASSERT_EQ(q.get().value, next_get++);
  }
  EXPECT_EQ(q.qsize(), static_cast<std::size_t>(next_put - next_get));
  while (next_get < next_put)
    ASSERT_EQ(q.get_nowait().value, next_get++);
  EXPECT_THROW(q.get_nowait(), QueueEmpty);
}

TEST(SimpleQueueTest, GetsThatTimedOutLeaveNoHoleBehind) {
  // Each timed-out get gave up a slot ahead of the puts - 300 of them, nine
  // whole segments, retired (and most reused for later tickets) before any
  // put arrives. The next put must skip them all, and the count must not
  // include them.
  SimpleQueue<Wide> q;
  for (int i = 0; i < 300; ++i)
    EXPECT_THROW(q.get(100us), QueueEmpty);
  EXPECT_EQ(q.qsize(), 0u);
  EXPECT_TRUE(q.empty());
  q.put(Wide{7});
  EXPECT_EQ(q.qsize(), 1u);
  q.put(Wide{8});
  EXPECT_EQ(q.get_nowait().value, 7);
  EXPECT_EQ(q.get(kHangGuard).value, 8);
  EXPECT_THROW(q.get_nowait(), QueueEmpty);
}

TEST(SimpleQueueTest, AWaitingGetterGetsTheNextPutWhileOthersTimeOut) {
  SimpleQueue<int> q;
  int got = 0;
  std::thread waiter([&] { got = q.get(); });
  ASSERT_TRUE(eventually([] { return detail::parked_threads() >= 1; }));
  EXPECT_THROW(q.get(1ms), QueueEmpty);  // behind the waiter, gives up
  q.put(42);
  waiter.join();
  EXPECT_EQ(got, 42);
  q.put(43);  // skips the slot the timed-out get gave up
  EXPECT_EQ(q.get_nowait(), 43);
}

TEST(SimpleQueueTest, PutHappensBeforeGet) {
  SimpleQueue<int*> q;
  int payload = 0;
  std::thread producer([&] {
    payload = 42;
    q.put(&payload);
  });
  EXPECT_EQ(*q.get(), 42);
  producer.join();
}

}  // namespace
}  // namespace concur
