#include "concur/detail/asyncio/loop_future.hpp"

#include <algorithm>

#include "concur/asyncio/event_loop.hpp"
#include "concur/errors.hpp"

namespace concur::asyncio::detail {

bool LoopFuture::cancel() {
  if (done()) return false;
  complete(State::cancelled);
  return true;
}

void LoopFuture::check_pending() const {
  if (done())
    throw InvalidStateError(cancelled() ? "CANCELLED: the future was cancelled"
                                        : "FINISHED: the future is done already");
}

void LoopFuture::set_exception(std::exception_ptr error) {
  check_pending();
  if (error == nullptr) throw ValueError("set_exception: a null exception");
  error_ = std::move(error);
  complete(State::finished);
}

void LoopFuture::finish() {
  check_pending();
  complete(State::finished);
}

void LoopFuture::complete(State state) {
  state_ = state;
  if (first_.fn != nullptr) LoopAccess::schedule(*loop_, first_.fn, first_.context);
  first_ = Callback{};
  for (const Callback& callback : more_)
    LoopAccess::schedule(*loop_, callback.fn, callback.context);
  more_.clear();
}

void LoopFuture::add_callback(Callback callback) {
  if (done()) {
    LoopAccess::schedule(*loop_, callback.fn, callback.context);
  } else if (first_.fn == nullptr) {
    first_ = callback;
  } else {
    more_.push_back(callback);
  }
}

void LoopFuture::remove_callback(void* context) noexcept {
  if (first_.context == context) first_ = Callback{};
  std::erase_if(more_, [context](const Callback& callback) { return callback.context == context; });
}

}  // namespace concur::asyncio::detail
