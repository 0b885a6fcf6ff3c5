#include "concur/asyncio/exception_handler.hpp"

#include <atomic>
#include <cstdio>
#include <exception>
#include <string>

namespace concur::asyncio {
namespace {

void print_to_stderr(const ExceptionContext& context) noexcept try {
  std::string text = "concur.asyncio: " + context.message;
  if (!context.task.empty()) text += " (task " + context.task + ")";
  if (context.exception != nullptr) {
    try {
      std::rethrow_exception(context.exception);
    } catch (const std::exception& e) {
      text += ": " + std::string(e.what());
    } catch (...) {
      text += ": an exception of unknown type";
    }
  }
  std::fprintf(stderr, "%s\n", text.c_str());
} catch (...) {
  std::fputs("concur.asyncio: an error, and no memory to say which\n", stderr);
}

std::atomic<ExceptionHandler> installed{nullptr};

}  // namespace

ExceptionHandler set_exception_handler(ExceptionHandler handler) noexcept {
  return installed.exchange(handler);
}

void call_exception_handler(const ExceptionContext& context) noexcept {
  const ExceptionHandler handler = installed.load();
  if (handler != nullptr) {
    handler(context);
  } else {
    print_to_stderr(context);
  }
}

}  // namespace concur::asyncio
