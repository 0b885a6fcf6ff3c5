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
    Queue<std::int64_t> q(maxsize == 0 ? 1 : maxsize);  // bounded: putters block
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

}  // namespace
}  // namespace concur
