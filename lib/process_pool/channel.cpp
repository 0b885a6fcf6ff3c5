// The channels: each worker's socket pair, written without blocking (an
// outbox flushed on EPOLLOUT) and read into a frame parser whose every
// header is checked against what the worker may send next.
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>

#include "pool.hpp"

namespace concur {

void ProcessPoolExecutor::Impl::flush(Worker& worker) {
  const bool was_waiting = worker.waiting_to_send;
  while (worker.sent < worker.outbox.size() && worker.process.to_worker) {
    const ssize_t n = ::send(worker.process.to_worker.get(), worker.outbox.data() + worker.sent,
                             worker.outbox.size() - worker.sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) worker.closing = true;  // it is dying; the pidfd will say
      break;
    }
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
  while (worker.process.from_worker) {
    const ssize_t n = ::recv(worker.process.from_worker.get(), buffer, sizeof buffer, MSG_DONTWAIT);
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
    try {
      frame = worker.inbox.next();
      if (frame) {
        check_header(worker, wire::Header{wire::kMagic, frame->kind, frame->id, 0});
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
        if (!outcome(worker, *frame)) return false;
        break;
      default:
        corrupt(worker, "a frame of a kind workers do not send");
        return false;
    }
  }
}

bool ProcessPoolExecutor::Impl::outcome(Worker& worker, const wire::FrameParser::Frame& frame) {
  if (worker.calls.empty() || !worker.front_started) {
    corrupt(worker, "an outcome for a call it was not running");
    return false;
  }
  RemoteJob& job = worker.calls.front();
  try {
    job.deliver(*job.state.get(), frame.payload);
  } catch (const InvalidStateError&) {
    // Cannot happen for a RUNNING future; ignore rather than lose the worker.
  } catch (const std::exception& e) {
    corrupt(worker, std::string("an undecodable outcome (") + e.what() + ")");
    return false;
  }
  worker.calls.pop_front();
  worker.deadline.reset();
  if (!worker.calls.empty()) start_clock(worker, worker.calls.front());
  return true;
}

}  // namespace concur
