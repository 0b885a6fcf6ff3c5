// The channels: each worker's socket pair, written without blocking (an
// outbox flushed on EPOLLOUT) and read into a frame parser whose every
// header is checked against what the worker may send next.
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "concur/detail/attachments.hpp"
#include "pool.hpp"

namespace concur {

void ProcessPoolExecutor::Impl::flush(Worker& worker) {
  const bool was_waiting = worker.waiting_to_send;
  while (worker.sent < worker.outbox.size() && worker.process.to_worker) {
    // Send up to the next byte that carries descriptors; a chunk that
    // starts with such a byte carries them (they go with its first byte).
    std::size_t end = worker.outbox.size();
    const std::vector<int>* fds = nullptr;
    auto& pending = worker.outbox_descriptors;
    if (!pending.empty()) {
      if (pending.front().offset == worker.sent) {
        fds = &pending.front().fds;
        if (pending.size() > 1) end = pending[1].offset;
      } else {
        end = pending.front().offset;
      }
    }
    const long n =
        wire::send_some(worker.process.to_worker.get(),
                        std::string_view(worker.outbox).substr(worker.sent, end - worker.sent),
                        fds != nullptr ? fds->data() : nullptr, fds != nullptr ? fds->size() : 0,
                        MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) worker.closing = true;  // it is dying; the pidfd will say
      break;
    }
    if (fds != nullptr) pending.pop_front();
    worker.sent += static_cast<std::size_t>(n);
  }
  if (worker.sent == worker.outbox.size()) {
    worker.outbox.clear();
    worker.sent = 0;
  }
  worker.waiting_to_send = !worker.outbox.empty() && worker.process.to_worker;
  if (worker.waiting_to_send != was_waiting) {
    watch(worker.process.to_worker.get(), worker.waiting_to_send ? std::uint32_t{EPOLLOUT} : 0u,
          kToWorkerTag, worker.id, EPOLL_CTL_MOD);
  }
}

void ProcessPoolExecutor::Impl::receive(Worker& worker) {
  char buffer[1 << 16];
  std::vector<int> fds;
  while (worker.process.from_worker) {
    bool truncated = false;
    const long n = wire::receive_some(worker.process.from_worker.get(), buffer, sizeof buffer, fds,
                                      truncated, MSG_DONTWAIT);
    for (int fd : fds)
      worker.received.emplace_back(fd);
    fds.clear();
    if (truncated || worker.received.size() > 2 * wire::kMaxDescriptors) {
      corrupt(worker, "more descriptors than its frames announce");
      return;
    }
    if (n == 0) {
      worker.closing = true;  // end of file: it is exiting
      return;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) worker.closing = true;
      return;
    }
    worker.inbox.feed(buffer, static_cast<std::size_t>(n));
    if (!handle_frames(worker)) return;
  }
}

// expected_id: the id the worker's next frame must carry: 0 until it is
// ready, then that of the call it runs.
std::uint64_t ProcessPoolExecutor::Impl::expected_id(const Worker& worker) {
  if (!worker.ready || worker.calls.empty() || !worker.front_started) return 0;
  return worker.calls.front().sent_as;
}

// check_header: throws ValueError if a frame cannot be the worker's next.
void ProcessPoolExecutor::Impl::check_header(const Worker& worker, const wire::Header& header) {
  const bool setup_reply =
      header.kind == wire::Kind::ready || header.kind == wire::Kind::initializer_failed;
  if (setup_reply != !worker.ready) {
    throw ValueError(worker.ready ? "a second reply to its setup"
                                  : "an outcome before it was ready");
  }
  if (header.id != expected_id(worker)) {
    throw ValueError("a frame for call " + std::to_string(header.id) +
                     ", which it was not running");
  }
}

// handle_frames: false if the worker sent garbage (and was killed).
bool ProcessPoolExecutor::Impl::handle_frames(Worker& worker) {
  for (;;) {
    std::optional<wire::FrameParser::Frame> frame;
    std::vector<detail::UniqueFd> descriptors;
    try {
      frame = worker.inbox.next();
      if (frame) {
        check_header(worker, wire::Header{wire::kMagic, frame->kind, 0, frame->id, 0});
        // A frame's descriptors came with its first byte: they are here.
        if (frame->descriptors > worker.received.size()) {
          throw ValueError("a frame announcing " + std::to_string(frame->descriptors) +
                           " descriptors, of which " + std::to_string(worker.received.size()) +
                           " came");
        }
        const auto taken = worker.received.begin() + frame->descriptors;
        descriptors.assign(std::make_move_iterator(worker.received.begin()),
                           std::make_move_iterator(taken));
        worker.received.erase(worker.received.begin(), taken);
      } else if (const auto header = worker.inbox.incomplete_header()) {
        check_header(worker, *header);  // before waiting for its payload
      }
    } catch (const std::exception& e) {
      corrupt(worker, e.what());
      return false;
    }
    if (!frame) return true;
    switch (frame->kind) {
      case wire::Kind::ready:
        worker.ready = true;
        startup_failures_ = 0;
        break;
      case wire::Kind::initializer_failed:
        initializer_failed(worker, frame->payload);
        return false;
      case wire::Kind::outcome:
      case wire::Kind::outcome_in_region:
        if (!outcome(worker, *frame, std::move(descriptors))) return false;
        break;
      default:
        corrupt(worker, "a frame of a kind workers do not send");
        return false;
    }
  }
}

// outcome_bytes: where the frame's outcome is: its payload, or the region
// it names (a new one is the first descriptor, checked and mapped here;
// `one_shot` is set to its slot if it is to be unmapped once read).
std::string_view ProcessPoolExecutor::Impl::outcome_bytes(
    Worker& worker, const wire::FrameParser::Frame& frame,
    std::vector<detail::UniqueFd>& descriptors, std::optional<std::uint32_t>& one_shot) {
  if (frame.kind == wire::Kind::outcome) return frame.payload;
  const wire::RegionRef ref =
      wire::decode_region_ref(frame.payload, static_cast<std::uint16_t>(descriptors.size()));
  detail::SharedMapping& region = worker.outcome_regions[ref.slot];
  if ((ref.flags & wire::kNewRegion) != 0) {
    region = {};
    region = detail::SharedMapping::adopt(descriptors.front().release(),
                                          static_cast<std::size_t>(ref.size),
                                          detail::SharedMapping::Populate::yes);
    region.drop_descriptor();  // never sent on: the mapping is enough
    descriptors.erase(descriptors.begin());
  }
  if ((ref.flags & wire::kOneShot) != 0) one_shot = ref.slot;
  if (region.size() < ref.size) {
    throw ValueError("an outcome of " + std::to_string(ref.size) + " bytes in a region of " +
                     std::to_string(region.size()));
  }
  return {reinterpret_cast<const char*>(region.data()), static_cast<std::size_t>(ref.size)};
}

bool ProcessPoolExecutor::Impl::outcome(Worker& worker, const wire::FrameParser::Frame& frame,
                                        std::vector<detail::UniqueFd> descriptors) {
  if (worker.calls.empty() || !worker.front_started) {
    corrupt(worker, "an outcome for a call it was not running");
    return false;
  }
  RemoteJob& job = worker.calls.front();
  std::optional<std::uint32_t> one_shot;
  try {
    const std::string_view bytes = outcome_bytes(worker, frame, descriptors, one_shot);
    detail::Attachments attachments;
    for (detail::UniqueFd& fd : descriptors)
      attachments.incoming.push_back(fd.release());
    const detail::AttachmentScope scope(attachments);
    job.deliver(*job.state.get(), bytes);
  } catch (const InvalidStateError&) {
    // Cannot happen for a RUNNING future; ignore rather than lose the worker.
  } catch (const std::exception& e) {
    corrupt(worker, std::string("an undecodable outcome (") + e.what() + ")");
    return false;
  }
  if (one_shot) worker.outcome_regions[*one_shot] = {};  // read: unmapped
  free_argument_region(worker, job.sent_as);
  worker.calls.pop_front();
  worker.deadline.reset();
  if (!worker.calls.empty()) start_clock(worker, worker.calls.front());
  return true;
}

}  // namespace concur
