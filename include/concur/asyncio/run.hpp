// concur/asyncio/run.hpp - run(coroutine): asyncio.run.
//
//   int main() { return concur::asyncio::run(main_coroutine()); }
//
// Makes a new loop, runs the coroutine as a task until it is done, then
// cancels every task still unfinished and runs the loop until they have
// finished cancelling, shuts the default executor down (waiting for it)
// and closes the loop. Returns the coroutine's result or rethrows its
// exception. RuntimeError from inside a running loop.
#pragma once

#include <utility>

#include "concur/asyncio/coroutine.hpp"
#include "concur/asyncio/event_loop.hpp"
#include "concur/asyncio/task.hpp"
#include "concur/errors.hpp"

namespace concur::asyncio {

namespace detail {
// finish_run: asyncio.run's shutdown of `loop`: cancel what is left, let
// it finish, shut the default executor down, close.
void finish_run(EventLoop& loop) noexcept;
}  // namespace detail

template <class T>
T run(Coroutine<T> coroutine) {
  if (detail::running_loop() != nullptr) {
    throw RuntimeError("asyncio.run() cannot be called from a running event loop");
  }
  EventLoop loop;
  struct Finish {
    EventLoop& loop;
    ~Finish() { detail::finish_run(loop); }
  } finish{loop};
  return loop.run_until_complete(std::move(coroutine));
}

}  // namespace concur::asyncio
