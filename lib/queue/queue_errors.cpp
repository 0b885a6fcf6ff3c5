// The queues' errors, thrown out of line to keep the templates small.
#include "concur/detail/queue_errors.hpp"
#include "concur/errors.hpp"

namespace concur::detail {

void throw_queue_empty() {
  throw QueueEmpty("get from an empty queue");
}
void throw_queue_full() {
  throw QueueFull("put to a full queue");
}
void throw_queue_shut_down() {
  throw QueueShutDown("the queue is shut down");
}
void throw_task_done_too_often() {
  throw ValueError("task_done() called too many times");
}

}  // namespace concur::detail
