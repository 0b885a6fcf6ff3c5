// Stress: many producers and consumers (1..16 each) on bounded and unbounded
// queues, and shutdown racing with blocked putters and getters. Conservation
// only - every item exactly once - never timing. Scaled down under sanitizers.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <tuple>

#include "concur/errors.hpp"
#include "concur/queue.hpp"
#include "support/threads.hpp"

namespace concur {
namespace {

using test::Threads;

#if defined(CONCUR_SANITIZED)
constexpr std::int64_t kItems = 20000;
#else
constexpr std::int64_t kItems = 200000;
#endif

// (producers, consumers, maxsize)
using Shape = std::tuple<std::size_t, std::size_t, std::size_t>;

class QueueStressTest : public ::testing::TestWithParam<Shape> {};

std::string shape_name(const ::testing::TestParamInfo<Shape>& shape) {
  return std::to_string(std::get<0>(shape.param)) + "p" + std::to_string(std::get<1>(shape.param)) +
         "c_max" + std::to_string(std::get<2>(shape.param));
}

INSTANTIATE_TEST_SUITE_P(Shapes, QueueStressTest,
                         ::testing::Combine(::testing::Values<std::size_t>(1, 4, 16),
                                            ::testing::Values<std::size_t>(1, 4, 16),
                                            ::testing::Values<std::size_t>(0, 1, 64)),
                         shape_name);

// Each item is unique (producer, sequence) encoded in one integer; the sum
// of all items and their count catch a lost or duplicated one.
TEST_P(QueueStressTest, EveryItemArrivesExactlyOnce) {
  // (Not a structured binding: Clang 14 cannot capture those in lambdas.)
  const std::size_t producers = std::get<0>(GetParam());
  const std::size_t consumers = std::get<1>(GetParam());
  const std::size_t maxsize = std::get<2>(GetParam());
  Queue<std::int64_t> q(maxsize);
  const std::int64_t per_producer = kItems / static_cast<std::int64_t>(producers);
  std::atomic<std::int64_t> sum{0};
  std::atomic<std::int64_t> count{0};
  std::atomic<std::int64_t> xor_all{0};
  {
    Threads consumer_threads(consumers, [&](std::size_t) {
      try {
        for (;;) {
          const std::int64_t v = q.get();
          sum += v;
          xor_all ^= v;
          ++count;
          q.task_done();
        }
      } catch (const QueueShutDown&) {
      }
    });
    {
      Threads producer_threads(producers, [&](std::size_t i) {
        for (std::int64_t n = 0; n < per_producer; ++n) {
          q.put(static_cast<std::int64_t>(i) * per_producer + n);
        }
      });
    }
    q.join();  // every item put has been processed
    q.shutdown();
  }
  const std::int64_t total = per_producer * static_cast<std::int64_t>(producers);
  std::int64_t expected_xor = 0;
  for (std::int64_t v = 0; v < total; ++v)
    expected_xor ^= v;
  EXPECT_EQ(count, total);
  EXPECT_EQ(sum, total * (total - 1) / 2);
  EXPECT_EQ(xor_all, expected_xor);
  EXPECT_TRUE(q.empty());
}

TEST_P(QueueStressTest, ShutdownRacingWithBlockedPuttersAndGettersEndsEveryone) {
  // (Not a structured binding: Clang 14 cannot capture those in lambdas.)
  const std::size_t producers = std::get<0>(GetParam());
  const std::size_t consumers = std::get<1>(GetParam());
  const std::size_t maxsize = std::get<2>(GetParam());
  for (bool immediate : {false, true}) {
    Queue<std::int64_t> q(maxsize);  // bounded: putters block; unbounded: getters
    std::atomic<std::int64_t> put_count{0};
    std::atomic<std::int64_t> got_count{0};
    std::atomic<std::size_t> ended{0};
    {
      Threads threads(producers + consumers, [&](std::size_t i) {
        try {
          for (;;) {
            if (i < producers) {
              q.put(1);
              ++put_count;
            } else {
              got_count += q.get();
            }
          }
        } catch (const QueueShutDown&) {
          ++ended;
        }
      });
      ASSERT_TRUE(test::eventually([&] { return put_count > 1000; }));
      q.shutdown(immediate);
    }
    EXPECT_EQ(ended, producers + consumers);
    // Nothing invented or duplicated: what was got came from a put, and after
    // a plain shutdown the consumers drained everything that was put.
    EXPECT_LE(got_count + static_cast<std::int64_t>(q.qsize()), put_count);
    if (!immediate) {
      EXPECT_EQ(got_count, put_count);
    }
  }
}

TEST(SimpleQueueStressTest, ManyProducersAndConsumersLoseNothing) {
  for (std::size_t threads_each : {1, 2, 8, 16}) {
    SimpleQueue<std::int64_t> q;
    const std::int64_t per_producer = kItems / static_cast<std::int64_t>(threads_each);
    std::atomic<std::int64_t> sum{0};
    std::atomic<std::int64_t> count{0};
    const std::int64_t total = per_producer * static_cast<std::int64_t>(threads_each);
    {
      Threads threads(2 * threads_each, [&](std::size_t i) {
        if (i < threads_each) {
          for (std::int64_t n = 0; n < per_producer; ++n) {
            q.put(static_cast<std::int64_t>(i) * per_producer + n);
          }
          return;
        }
        for (;;) {
          if (count.load() >= total) return;
          try {
            sum += q.get(std::chrono::milliseconds(5));
            ++count;
          } catch (const QueueEmpty&) {
          }
        }
      });
    }
    EXPECT_EQ(count, total) << threads_each;
    EXPECT_EQ(sum, total * (total - 1) / 2) << threads_each;
  }
}

// Getters that give up (timeouts of a few microseconds, get_nowait) leave
// slots behind that puts must skip, and segments are retired and reused all
// the time with a wide item (32 slots a segment): nothing may be lost or
// delivered twice.
template <class Item>
void check_impatient_getters_lose_nothing(std::size_t threads_each, std::int64_t items) {
  SimpleQueue<Item> q;
  const std::int64_t per_producer = items / static_cast<std::int64_t>(threads_each);
  const std::int64_t total = per_producer * static_cast<std::int64_t>(threads_each);
  std::atomic<std::int64_t> sum{0};
  std::atomic<std::int64_t> count{0};
  Threads threads(2 * threads_each, [&](std::size_t i) {
    if (i < threads_each) {
      for (std::int64_t n = 0; n < per_producer; ++n)
        q.put(Item{static_cast<std::int64_t>(i) * per_producer + n});
      return;
    }
    for (std::uint64_t attempt = i;; ++attempt) {
      if (count.load() >= total) return;
      try {
        Item item = attempt % 3 == 0   ? q.get_nowait()
                    : attempt % 3 == 1 ? q.get(std::chrono::microseconds(attempt % 50))
                                       : q.get(std::chrono::milliseconds(2));
        sum += item.value;
        ++count;
      } catch (const QueueEmpty&) {
      }
    }
  });
  threads.join();
  EXPECT_EQ(count, total) << threads_each;
  EXPECT_EQ(sum, total * (total - 1) / 2) << threads_each;
  EXPECT_TRUE(q.empty());
}

struct SmallItem {
  std::int64_t value;
};
struct WideItem {
  std::int64_t value;
  char padding[2048] = {};
};

TEST(SimpleQueueStressTest, ImpatientGettersLoseNothing) {
  for (std::size_t threads_each : {1, 2, 8})
    check_impatient_getters_lose_nothing<SmallItem>(threads_each, kItems);
}

TEST(SimpleQueueStressTest, ImpatientGettersLoseNothingAcrossReusedSegments) {
  for (std::size_t threads_each : {1, 2, 8})
    check_impatient_getters_lose_nothing<WideItem>(threads_each, kItems / 4);
}

}  // namespace
}  // namespace concur
