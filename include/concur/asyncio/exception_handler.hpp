// concur/asyncio/exception_handler.hpp - where the loop reports what it
// cannot throw to anyone (Python's loop.call_exception_handler).
//
//   concur::asyncio::set_exception_handler([](const concur::asyncio::ExceptionContext& c) noexcept
//   {
//     my_log(c.message, c.task);
//   });
//
// Reported: a task's exception nobody retrieved ("Task exception was never
// retrieved", when the task is destroyed), an exception thrown by a
// callback ("Exception in callback"), and, with EventLoop::set_debug(true),
// a callback or task step slower than slow_callback_duration ("Executing
// Task-3 took 0.105 seconds"). The default handler prints to stderr. The
// handler is process-wide and may be called from any loop's thread.
#pragma once

#include <exception>
#include <string>

namespace concur::asyncio {

struct ExceptionContext {
  std::string message;           // what happened, in Python's words
  std::exception_ptr exception;  // null for a slow-callback report
  std::string task;              // the task's name, if a task is involved
};

using ExceptionHandler = void (*)(const ExceptionContext& context) noexcept;

// set_exception_handler: replaces the handler (nullptr restores the
// default); returns the previous one. Thread-safe.
ExceptionHandler set_exception_handler(ExceptionHandler handler) noexcept;

// call_exception_handler: hands `context` to the handler.
void call_exception_handler(const ExceptionContext& context) noexcept;

}  // namespace concur::asyncio
