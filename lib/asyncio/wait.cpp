// wait()'s future: CPython's _wait and its _on_completion.
#include "concur/asyncio/wait.hpp"

namespace concur::asyncio::detail {

void Waiting::on_done(std::size_t i) {
  ++finished_;
  if (done()) return;
  const TaskBase& task = this->task(i);
  const bool satisfied =
      finished_ == size() || when_ == ReturnWhen::first_completed ||
      (when_ == ReturnWhen::first_exception && !task.cancelled() && task.failed());
  if (satisfied) finish();
}

}  // namespace concur::asyncio::detail
