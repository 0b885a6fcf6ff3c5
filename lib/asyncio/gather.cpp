// gather's future: CPython's _GatheringFuture and its _done_callback.
#include "concur/asyncio/gather.hpp"

namespace concur::asyncio::detail {

bool Gathering::cancel() {
  if (done()) return false;
  bool any = false;
  for (std::size_t i = 0; i < size(); ++i) {
    if (task(i).cancel()) any = true;
  }
  // It ends once a task has finished cancelling (on_done).
  if (any) cancel_requested_ = true;
  return any;
}

void Gathering::on_done(std::size_t i) {
  ++finished_;
  TaskBase& child = task(i);
  if (done()) {
    child.mark_retrieved();  // the group was its awaiter
    return;
  }
  if (!return_exceptions_) {
    if (child.cancelled()) {
      set_exception(std::make_exception_ptr(CancelledError("a gathered task was cancelled")));
      return;
    }
    if (std::exception_ptr error = child.take_error()) {
      set_exception(error);
      return;
    }
  }
  if (finished_ == size()) {
    if (cancel_requested_) {
      set_exception(std::make_exception_ptr(CancelledError("the gather was cancelled")));
    } else {
      finish();
    }
  }
}

}  // namespace concur::asyncio::detail
