// Queues under failing user types: a move that throws at any point of a get,
// and a comparator that throws inside a PriorityQueue. The promise under test
// (queue.hpp): a failed put or get leaves the queue as it was - no item lost,
// none duplicated, the order intact.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <stdexcept>
#include <vector>

#include "concur/errors.hpp"
#include "concur/queue.hpp"

namespace concur {
namespace {

// MoveBomb: an int whose moves and copies fail once a countdown runs out, so
// a test can fail the first, second, ... transfer a get makes.
struct MoveBomb {
  static inline std::atomic<int> transfers_left{-1};  // -1: never fail
  int value = 0;
  explicit MoveBomb(int v) : value(v) {}
  MoveBomb(const MoveBomb& other) : value(other.value) { spend(); }
  MoveBomb(MoveBomb&& other) noexcept(false) : value(other.value) { spend(); }
  MoveBomb& operator=(const MoveBomb& other) {
    spend();
    value = other.value;
    return *this;
  }
  MoveBomb& operator=(MoveBomb&& other) noexcept(false) {
    spend();
    value = other.value;
    return *this;
  }
  bool operator<(const MoveBomb& other) const { return value < other.value; }

  static void spend() {
    int left = transfers_left.load();
    if (left < 0) return;
    if (left == 0) throw std::runtime_error("move failed");
    transfers_left.store(left - 1);
  }
};

// Disarmed: the countdown is off again when a check ends, also on failure.
struct Disarmed {
  ~Disarmed() { MoveBomb::transfers_left = -1; }
};

// check_no_get_loses_an_item: with 1..4 queued, gets whose k-th transfer
// fails (k = 0, 1, 2, ...) until each item came out: every failed get left
// the count as it was, and the items that came out are 1..4, each once.
template <class Q>
void check_no_get_loses_an_item() {
  Q q(8);
  for (int v = 1; v <= 4; ++v)
    q.put(MoveBomb(v));
  Disarmed disarm;
  std::vector<int> got;
  for (int k = 0; got.size() < 4 && k < 64; ++k) {
    const std::size_t before = q.qsize();
    MoveBomb::transfers_left = k % 4;
    try {
      const MoveBomb item = q.get_nowait();
      got.push_back(item.value);
    } catch (const std::runtime_error&) {
      EXPECT_EQ(q.qsize(), before) << "a get whose transfer " << k % 4 << " failed";
    }
  }
  MoveBomb::transfers_left = -1;
  EXPECT_TRUE(q.empty());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<int>{1, 2, 3, 4}));
}

TEST(QueueFailureTest, AGetWhoseMoveThrowsLosesNoItemOnAnyEngine) {
  check_no_get_loses_an_item<Queue<MoveBomb>>();
  check_no_get_loses_an_item<LifoQueue<MoveBomb>>();
  check_no_get_loses_an_item<PriorityQueue<MoveBomb>>();
}

TEST(QueueFailureTest, AnUnboundedQueueGetWhoseMoveThrowsLosesNoItem) {
  struct Unbounded : Queue<MoveBomb> {
    explicit Unbounded(std::size_t) {}
  };
  check_no_get_loses_an_item<Unbounded>();
}

TEST(QueueFailureTest, ASimpleQueueGetWhoseMoveThrowsLosesNoItem) {
  struct Simple : SimpleQueue<MoveBomb> {
    explicit Simple(std::size_t) {}
  };
  check_no_get_loses_an_item<Simple>();
}

TEST(QueueFailureTest, AGetWhoseMoveThrowsKeepsTheOrder) {
  Queue<MoveBomb> fifo(4);
  LifoQueue<MoveBomb> lifo(4);
  for (int v = 1; v <= 3; ++v) {
    fifo.put(MoveBomb(v));
    lifo.put(MoveBomb(v));
  }
  {
    Disarmed disarm;
    MoveBomb::transfers_left = 0;
    EXPECT_THROW(fifo.get(), std::runtime_error);
    EXPECT_THROW(lifo.get(), std::runtime_error);
  }
  EXPECT_EQ(fifo.get().value, 1);
  EXPECT_EQ(lifo.get().value, 3);
}

// Moody: a comparator that can be told to fail; shared so a queue's copy
// of it obeys the test.
struct Moody {
  static inline std::atomic<int> comparisons_left{-1};  // -1: never fail
  bool operator()(int a, int b) const {
    int left = comparisons_left.load();
    if (left == 0) throw std::runtime_error("comparison failed");
    if (left > 0) comparisons_left.store(left - 1);
    return a < b;
  }
};

struct MoodyCalm {
  ~MoodyCalm() { Moody::comparisons_left = -1; }
};

std::vector<int> drain_in_order(PriorityQueue<int, Moody>& q) {
  std::vector<int> out;
  while (!q.empty())
    out.push_back(q.get_nowait());
  return out;
}

TEST(QueueFailureTest, APriorityQueuePutWhoseComparatorThrowsInsertsNothing) {
  const std::vector<int> items = {50, 20, 80, 10, 30, 70, 90, 60, 40};
  for (int k = 0; k < 6; ++k) {
    PriorityQueue<int, Moody> q;
    for (int v : items)
      q.put(v);
    bool failed = false;
    {
      MoodyCalm calm;
      Moody::comparisons_left = k;
      try {
        q.put(5);
      } catch (const std::runtime_error&) {
        failed = true;
      }
    }
    std::vector<int> expected = {10, 20, 30, 40, 50, 60, 70, 80, 90};
    if (!failed) expected.insert(expected.begin(), 5);
    EXPECT_EQ(q.qsize(), expected.size()) << "comparison " << k;
    EXPECT_EQ(drain_in_order(q), expected) << "comparison " << k;
  }
}

TEST(QueueFailureTest, APriorityQueueGetWhoseComparatorThrowsRemovesNothing) {
  const std::vector<int> items = {50, 20, 80, 10, 30, 70, 90, 60, 40, 15, 25};
  for (int k = 0; k < 8; ++k) {
    PriorityQueue<int, Moody> q;
    for (int v : items)
      q.put(v);
    std::vector<int> got;
    {
      MoodyCalm calm;
      Moody::comparisons_left = k;
      try {
        got.push_back(q.get_nowait());
      } catch (const std::runtime_error&) {
        EXPECT_EQ(q.qsize(), items.size()) << "comparison " << k << " failed";
      }
    }
    for (int v : drain_in_order(q))
      got.push_back(v);
    std::vector<int> sorted = items;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(got, sorted) << "after comparison " << k << " failed";
  }
}

// BombLess: orders MoveBombs, failing when told to.
struct BombLess {
  static inline std::atomic<bool> fail{false};
  bool operator()(const MoveBomb& a, const MoveBomb& b) const {
    if (fail) throw std::runtime_error("comparison failed");
    return a.value < b.value;
  }
};

TEST(QueueFailureTest, APriorityQueueOfThrowingMovesSurvivesAThrowingComparator) {
  // The heap of pointers (T's move may throw) takes the same path.
  using Less = BombLess;
  PriorityQueue<MoveBomb, Less> q;
  for (int v : {3, 1, 2})
    q.put(MoveBomb(v));
  Less::fail = true;
  EXPECT_THROW(q.put(MoveBomb(0)), std::runtime_error);
  EXPECT_THROW(q.get(), std::runtime_error);
  Less::fail = false;
  EXPECT_EQ(q.qsize(), 3u);
  EXPECT_EQ(q.get().value, 1);
  EXPECT_EQ(q.get().value, 2);
  EXPECT_EQ(q.get().value, 3);
}

}  // namespace
}  // namespace concur
