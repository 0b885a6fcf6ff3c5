// concur/detail/ticket_fifo.hpp - the lock-free engine behind SimpleQueue
// and an unbounded Queue (ticket_queue_core.hpp). Not API; see
// concur/queue.hpp.
//
// Tickets. Every put takes the next put ticket and every get the next get
// ticket (one fetch_add each, so no thread ever waits for a lock holder).
// Ticket t names one slot: put t and get t meet there and nowhere else, which
// makes the queue first in, first out and lets a getter that arrives first
// simply wait on its slot. Waiting getters are thus served in arrival order.
//
// A slot's state word holds its ticket and a status:
//   EMPTY --put claims--> WRITING --item constructed--> FULL  (the hand-off)
//   EMPTY --get gives up (timeout, shutdown)--> ABANDONED: the put with this
//          ticket finds it so and takes another ticket
//   EMPTY --put finds the queue shut down--> SKIPPED: the get with this
//          ticket takes another one
// plus a WAITER bit that a getter sets before it parks on the word, so a put
// makes the wake-up system call only when somebody sleeps, and a NUDGED bit
// that shutdown() sets to wake a parked getter. Every transition is a
// compare-exchange that names the ticket, so a late thread can never act on
// a slot that has since been reused for another ticket.
//
// Shutdown (for Queue; SimpleQueue has none): a flag that puts check after
// taking a ticket and getters check before they park, all seq_cst (the
// ticket fetch_adds too, which costs nothing on x86). A getter that missed the
// flag holds a ticket that shutdown() finds between the put and get counters,
// and nudges; a put that missed it took its ticket before the flag was set,
// so a getter that saw the flag also sees that ticket and waits for it.
//
// Segments. Slots live in segments of kSlots, chained in ticket order from
// front_ to the newest. A segment is retired once every get ticket in it is
// finished (item taken, abandoned or skipped) and it is the oldest; retired
// segments are reused at the end of the chain and freed only with the queue
// (type-stable memory, as moodycamel's blocks). That is what makes it safe
// for a thread to read a segment it found through a stale pointer: it checks
// the segment's base ticket before and after, and starts again from the front
// if the segment was reused meanwhile. Adding and retiring segments - once
// per kSlots tickets - happens under one lock.
//
// T's move must not throw: a get owns its slot, so an item whose move failed
// could not go back to the head of the queue. Queues of other types use the
// two-lock FifoQueueCore.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <thread>
#include <type_traits>
#include <utility>

#include "concur/detail/deadline.hpp"
#include "concur/detail/lock_guard.hpp"
#include "concur/detail/parking.hpp"
#include "concur/detail/queue_errors.hpp"
#include "concur/detail/thread_annotations.hpp"
#include "concur/lock.hpp"

namespace concur::detail {

template <class T>
class TicketFifo {
  static_assert(std::is_nothrow_move_constructible_v<T>);

  // Slot states: the ticket above kTicketShift, then NUDGED, WAITER and the
  // status.
  enum Status : std::uint64_t { kEmpty = 0, kWriting = 1, kFull = 2, kAbandoned = 3, kSkipped = 4 };
  static constexpr std::uint64_t kStatusMask = 7;
  static constexpr std::uint64_t kWaiter = 8;
  static constexpr std::uint64_t kNudged = 16;
  static constexpr int kTicketShift = 5;

  // Shutdown modes; they only ever go up.
  enum Mode : std::uint32_t { kOpen = 0, kShutDown = 1, kShutDownImmediately = 2 };

  // What a get waiting on its slot ends with.
  enum class Outcome { kGot, kSkipped, kTimedOut, kShutDown };
  static constexpr std::uint64_t state(std::uint64_t ticket, std::uint64_t status) noexcept {
    return ticket << kTicketShift | status;
  }
  static constexpr std::uint64_t status_of(std::uint64_t s) noexcept { return s & kStatusMask; }
  static constexpr std::uint64_t ticket_of(std::uint64_t s) noexcept { return s >> kTicketShift; }

  struct Slot {
    WideParkWord state;
    alignas(T) unsigned char storage[sizeof(T)];
    T* item() noexcept { return std::launder(reinterpret_cast<T*>(storage)); }
  };

  // Slots per segment: about 16 KiB of them, at least 32.
  static constexpr std::uint64_t kSlots = std::max<std::size_t>(32, 16384 / sizeof(Slot));

  struct Segment {
    std::atomic<std::uint64_t> base{0};  // the ticket of slots[0]
    std::atomic<Segment*> next{nullptr};
    bool retirable = false;                              // under structure_lock_
    Segment* next_spare = nullptr;                       // under structure_lock_
    alignas(64) std::atomic<std::uint64_t> finished{0};  // get tickets done with
    alignas(64) Slot slots[kSlots];

    // reset: readies the segment for tickets [base, base + kSlots). The base
    // is published last (release): whoever reads it sees fresh slots.
    void reset(std::uint64_t new_base) noexcept {
      next.store(nullptr, std::memory_order_relaxed);
      retirable = false;
      finished.store(0, std::memory_order_relaxed);
      for (std::uint64_t i = 0; i < kSlots; ++i)
        slots[i].state.store(state(new_base + i, kEmpty), std::memory_order_relaxed);
      base.store(new_base, std::memory_order_release);
    }
  };

 public:
  TicketFifo() : front_(new Segment) {
    front_.load(std::memory_order_relaxed)->reset(0);
    Segment* first = front_.load(std::memory_order_relaxed);
    put_hint_.store(first, std::memory_order_relaxed);
    get_hint_.store(first, std::memory_order_relaxed);
    LockGuard hold(structure_lock_);
    newest_ = first;
  }
  TicketFifo(const TicketFifo&) = delete;
  TicketFifo& operator=(const TicketFifo&) = delete;

  // The queue is idle now: items are the FULL slots at or after the next get
  // ticket (every earlier get ticket has been finished).
  ~TicketFifo() {
    const std::uint64_t first_unclaimed = gets_.load(std::memory_order_relaxed);
    Segment* segment = front_.load(std::memory_order_relaxed);
    while (segment != nullptr) {
      for (Slot& slot : segment->slots) {
        const std::uint64_t s = slot.state.load(std::memory_order_relaxed);
        if (status_of(s) == kFull && ticket_of(s) >= first_unclaimed) slot.item()->~T();
      }
      Segment* done = segment;
      segment = segment->next.load(std::memory_order_relaxed);
      delete done;
    }
    LockGuard hold(structure_lock_);
    while (Segment* spare = spares_) {
      spares_ = spare->next_spare;
      delete spare;
    }
  }

  // put_until: never blocks (but for the lock that adds a segment, once per
  // kSlots puts), so there is no deadline to miss. Throws QueueShutDown after
  // shutdown(). `before_publish` runs once the put can no longer fail, just
  // before its item can be gotten.
  template <class BeforePublish>
  void put_until(T&& item, Deadline /*never needed*/, BeforePublish&& before_publish) {
    if (shut_down_.load() != kOpen) throw_queue_shut_down();  // saves a ticket
    for (;;) {
      const std::uint64_t ticket = puts_.fetch_add(1);
      const Place place = locate(ticket, put_hint_);
      if (place.segment == nullptr) continue;  // abandoned and retired: another ticket
      if (shut_down_.load() != kOpen) {        // after the ticket: see the file comment
        skip(*place.slot, ticket);
        throw_queue_shut_down();
      }
      if (!claim(*place.slot, ticket)) continue;  // abandoned by its getter
      before_publish();
      ::new (place.slot->storage) T(std::move(item));
      publish(*place.slot, ticket);
      return;
    }
  }
  void put_until(T&& item, Deadline deadline) {
    put_until(std::move(item), deadline, [] {});
  }

  // get_until: takes the oldest item, waiting for one until `deadline`;
  // throws QueueEmpty once it has passed, and QueueShutDown after a shutdown
  // once there is no item (at once after an immediate one). A get that finds
  // no item without waiting takes no ticket.
  T get_until(Deadline deadline) {
    for (;;) {
      const std::uint32_t mode = shut_down_.load();
      if (mode == kShutDownImmediately) throw_queue_shut_down();
      // Only a get that may not wait looks at the put counter first (its
      // cache line is the producers'): no item, no ticket.
      if ((mode != kOpen || expired(deadline)) && !maybe_has_items()) {
        if (mode != kOpen) throw_queue_shut_down();
        throw_queue_empty();
      }
      const std::uint64_t ticket = gets_.fetch_add(1);
      // A get ticket pins its segment: it is not retired before we finish.
      const Place place = locate(ticket, get_hint_);
      const Outcome outcome = wait_for_put(*place.slot, ticket, deadline);
      if (outcome == Outcome::kGot) {
        // The item is moved out before the ticket is finished: the segment
        // (and this slot) may be reused as soon as it is.
        T item = take(*place.slot);
        finish(place.segment);
        return item;
      }
      finish(place.segment);
      if (outcome == Outcome::kShutDown) throw_queue_shut_down();
      if (outcome == Outcome::kTimedOut) throw_queue_empty();
      skipped_.fetch_sub(1, std::memory_order_relaxed);  // kSkipped: look again
    }
  }

  // shutdown: puts throw from now on; getters wake, and throw once there is
  // nothing left for them (at once if `immediate`). May be called again; an
  // immediate shutdown is never undone.
  void shutdown(bool immediate) {
    const Mode mode = immediate ? kShutDownImmediately : kShutDown;
    std::uint32_t before = shut_down_.load();
    while (before < mode && !shut_down_.compare_exchange_weak(before, mode)) {
    }
    nudge_waiting_getters();
  }
  bool is_shut_down() const noexcept { return shut_down_.load() != kOpen; }
  bool is_shut_down_immediately() const noexcept {
    return shut_down_.load() == kShutDownImmediately;
  }

  // discard: destroys every item there is, returning how many. For an
  // immediate shutdown (and the puts that raced with it).
  std::size_t discard() {
    std::size_t discarded = 0;
    while (maybe_has_items()) {
      const std::uint64_t ticket = gets_.fetch_add(1);
      const Place place = locate(ticket, get_hint_);
      const Outcome outcome = wait_for_put(*place.slot, ticket, Clock::time_point::min());
      if (outcome == Outcome::kGot) {
        take(*place.slot);  // an item's destructor may use the queue: nothing is held
        ++discarded;
      }
      finish(place.segment);
      if (outcome == Outcome::kSkipped) skipped_.fetch_sub(1, std::memory_order_relaxed);
    }
    return discarded;
  }

  // qsize: put tickets minus get tickets minus tickets skipped by puts,
  // never negative (getters waiting for items hold tickets ahead of the
  // puts). A ticket given up by its getter costs one of each.
  std::size_t qsize() const noexcept {
    const std::uint64_t gets = gets_.load(std::memory_order_relaxed);
    const std::uint64_t skipped = skipped_.load(std::memory_order_relaxed);
    const auto size =
        static_cast<std::int64_t>(puts_.load(std::memory_order_relaxed) - gets - skipped);
    return size > 0 ? static_cast<std::size_t>(size) : 0;
  }

 private:
  bool maybe_has_items() const noexcept { return gets_.load() < puts_.load(); }

  // nudge_waiting_getters: wakes the getters whose tickets no put has taken
  // yet. The bit changes the word a getter parks on, so one that is about to
  // sleep does not.
  void nudge_waiting_getters() {
    const std::uint64_t end = gets_.load();
    std::atomic<Segment*> cursor{front_.load()};  // walks forward with the tickets
    for (std::uint64_t ticket = puts_.load(); ticket < end; ++ticket) {
      const Place place = locate(ticket, cursor);
      if (place.segment == nullptr) continue;
      Slot& slot = *place.slot;
      std::uint64_t seen = slot.state.load();
      while (ticket_of(seen) == ticket && status_of(seen) == kEmpty && (seen & kNudged) == 0) {
        if (slot.state.compare_exchange_weak(seen, seen | kNudged)) {
          unpark_all(slot.state);
          break;
        }
      }
    }
  }

  // claim: EMPTY -> WRITING for `ticket`, keeping a waiter's bit. False if
  // the getter gave the slot up first (or the slot was reused since).
  static bool claim(Slot& slot, std::uint64_t ticket) noexcept {
    std::uint64_t seen = slot.state.load(std::memory_order_relaxed);
    for (;;) {
      if (ticket_of(seen) != ticket || status_of(seen) != kEmpty) return false;
      // acquire: pairs with the release that reset the slot for this ticket.
      if (slot.state.compare_exchange_weak(seen, state(ticket, kWriting) | (seen & kWaiter),
                                           std::memory_order_acquire, std::memory_order_relaxed))
        return true;
    }
  }

  // skip: EMPTY -> SKIPPED, for a put that will not use its ticket after all
  // (unless the getter gave the slot up first).
  void skip(Slot& slot, std::uint64_t ticket) noexcept {
    // Counted first, so that the getter's uncounting never goes below zero.
    skipped_.fetch_add(1, std::memory_order_relaxed);
    std::uint64_t seen = slot.state.load();
    while (ticket_of(seen) == ticket && status_of(seen) == kEmpty) {
      if (slot.state.compare_exchange_weak(seen, state(ticket, kSkipped))) {
        if ((seen & kWaiter) != 0) unpark_all(slot.state);
        return;
      }
    }
    skipped_.fetch_sub(1, std::memory_order_relaxed);  // the getter gave it up first
  }

  // publish: WRITING -> FULL (the hand-off of the item: release, and seq_cst
  // before a Queue's put checks for an immediate shutdown), waking the getter
  // if it parked meanwhile.
  static void publish(Slot& slot, std::uint64_t ticket) noexcept {
    const std::uint64_t before = slot.state.exchange(state(ticket, kFull));
    // The slot may be reused once the getter has seen the new state; a wake
    // on a reused word is only a spurious wake-up, which every parker allows.
    if ((before & kWaiter) != 0) unpark_all(slot.state);
  }

  // wait_for_put: waits until the slot is FULL (or SKIPPED), or gives it up when the
  // deadline passes or the queue is shut down first. A slot being written is
  // always waited for: its item is as good as there.
  Outcome wait_for_put(Slot& slot, std::uint64_t ticket, Deadline deadline) {
    std::uint64_t seen = 0;
    auto put_done = [&] {
      // acquire (at least): pairs with publish().
      seen = slot.state.load();
      return status_of(seen) == kFull || status_of(seen) == kSkipped;
    };
    auto outcome = [&] { return status_of(seen) == kFull ? Outcome::kGot : Outcome::kSkipped; };
    if (!expired(deadline) && spin_until(put_done)) return outcome();
    for (;;) {
      if (put_done()) return outcome();
      const bool writing = status_of(seen) == kWriting;
      if (!writing) {
        // Checked after our WAITER bit is set (seq_cst both): see nudge. A
        // put that has our ticket finishes (publishes or skips) whatever the
        // flag, so only a ticket no put has taken is given up at shutdown.
        const bool shut_down = is_shut_down();
        if ((shut_down && puts_.load() <= ticket) || expired(deadline)) {
          if (slot.state.compare_exchange_strong(seen, state(ticket, kAbandoned)))
            return shut_down ? Outcome::kShutDown : Outcome::kTimedOut;
          continue;
        }
      }
      if ((seen & kWaiter) == 0) {
        slot.state.compare_exchange_strong(seen, seen | kWaiter);
        continue;  // look at everything again with the bit set
      }
      park(slot.state, static_cast<std::uint32_t>(seen), writing ? kNoDeadline : deadline);
    }
  }

  // take: moves the item out of a FULL slot and destroys what is left.
  static T take(Slot& slot) noexcept {
    T* stored = slot.item();
    T item(std::move(*stored));
    stored->~T();
    return item;
  }

  // finish: one more get ticket of `segment` is done with; the last one
  // retires the segment.
  void finish(Segment* segment) {
    // acq_rel: every getter's use of its slot happens before the reuse.
    if (segment->finished.fetch_add(1, std::memory_order_acq_rel) + 1 == kSlots) retire(segment);
  }

  // Place: a ticket's segment and slot.
  struct Place {
    Segment* segment;
    Slot* slot;
  };

  // locate: the place of `ticket`, walking on from `hint` (and adding
  // segments as needed), or {nullptr, nullptr} if its segment has been
  // retired - which only a put whose getter gave up can see.
  Place locate(std::uint64_t ticket, std::atomic<Segment*>& hint) {
    Segment* const start = hint.load(std::memory_order_acquire);
    Segment* segment = start;
    for (;;) {
      // acquire: pairs with reset(), so the slots are those of this base.
      const std::uint64_t base = segment->base.load(std::memory_order_acquire);
      if (ticket >= base && ticket - base < kSlots) {
        if (segment != start) hint.store(segment, std::memory_order_release);
        return {segment, &segment->slots[ticket - base]};
      }
      if (ticket < base) {
        // Behind this segment (a stale hint, or it was reused): go back to
        // the front, unless even that has passed the ticket.
        if (ticket < front_base_.load(std::memory_order_acquire)) return {nullptr, nullptr};
        segment = front_.load(std::memory_order_acquire);
        continue;
      }
      Segment* next = segment->next.load(std::memory_order_acquire);
      if (segment->base.load(std::memory_order_acquire) != base) {
        segment = front_.load(std::memory_order_acquire);  // reused while we read next
        continue;
      }
      if (next == nullptr) next = grow(segment, base);
      segment = next != nullptr ? next : front_.load(std::memory_order_acquire);
    }
  }

  // grow: links a segment after `last` (which had `base`), or returns the one
  // another thread linked; nullptr if `last` was reused meanwhile.
  Segment* grow(Segment* last, std::uint64_t base) {
    LockGuard hold(structure_lock_);
    if (last->base.load(std::memory_order_relaxed) != base) return nullptr;
    if (Segment* next = last->next.load(std::memory_order_relaxed)) return next;
    Segment* fresh = spare_or_new();
    fresh->reset(base + kSlots);
    last->next.store(fresh, std::memory_order_release);
    newest_ = fresh;
    retire_finished_locked();
    return fresh;
  }

  // spare_or_new: a retired segment, or a new one. A thread here holds a
  // ticket whose slot does not exist yet, and its partner may be waiting on
  // it, so it may not fail: out of memory, it waits for memory.
  Segment* spare_or_new() CONCUR_REQUIRES(structure_lock_) {
    if (Segment* spare = spares_) {
      spares_ = spare->next_spare;
      return spare;
    }
    for (;;) {
      if (Segment* fresh = new (std::nothrow) Segment) return fresh;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  void retire(Segment* segment) {
    LockGuard hold(structure_lock_);
    segment->retirable = true;
    retire_finished_locked();
  }

  // retire_finished_locked: moves finished segments from the front of the
  // chain to the spares, oldest first, keeping at least one in the chain.
  void retire_finished_locked() CONCUR_REQUIRES(structure_lock_) {
    Segment* front = front_.load(std::memory_order_relaxed);
    while (front->retirable && front != newest_) {
      Segment* next = front->next.load(std::memory_order_relaxed);
      front_.store(next, std::memory_order_release);
      front_base_.store(next->base.load(std::memory_order_relaxed), std::memory_order_release);
      front->next_spare = spares_;
      spares_ = front;
      front = next;
    }
  }

  // Each counter on its own cache line: puts and gets never share one.
  alignas(64) std::atomic<std::uint64_t> puts_{0};
  std::atomic<Segment*> put_hint_{nullptr};
  alignas(64) std::atomic<std::uint64_t> gets_{0};
  std::atomic<Segment*> get_hint_{nullptr};

  alignas(64) std::atomic<std::uint32_t> shut_down_{kOpen};  // a Mode
  std::atomic<std::uint64_t> skipped_{0};  // tickets skipped by puts whose getter is yet to come

  alignas(64) std::atomic<Segment*> front_;
  std::atomic<std::uint64_t> front_base_{0};
  Lock structure_lock_;
  Segment* newest_ CONCUR_GUARDED_BY(structure_lock_) = nullptr;
  Segment* spares_ CONCUR_GUARDED_BY(structure_lock_) = nullptr;  // linked by next_spare
};

}  // namespace concur::detail
