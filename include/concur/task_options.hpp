// concur/task_options.hpp - per-task settings: submit(TaskOptions, fn, args...).
//
//   auto f = pool.submit(concur::TaskOptions{.timeout = 2s}, parse, path);
#pragma once

#include <chrono>
#include <optional>

namespace concur {

// TaskOptions: per-task settings for submit(TaskOptions, fn, args...).
struct TaskOptions {
  // timeout: how long the task may run once a worker process has started
  // it; past it, the worker is killed and the task fails with TimeoutError.
  // (Threads cannot be killed: thread pools ignore it.)
  std::optional<std::chrono::nanoseconds> timeout = std::nullopt;
};

}  // namespace concur
