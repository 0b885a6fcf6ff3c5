// concur/detail/queue_errors.hpp - the queues' errors, thrown out of line
// (lib/queue/queue_errors.cpp) to keep the templates small. Not API.
#pragma once

namespace concur::detail {

[[noreturn]] void throw_queue_empty();
[[noreturn]] void throw_queue_full();
[[noreturn]] void throw_queue_shut_down();
[[noreturn]] void throw_task_done_too_often();

}  // namespace concur::detail
