// What the process-pool tests share: a fixture run under both start methods
// that checks nothing outlives a test, and checks of the error a future ends
// with.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <string>

#include "concur/future.hpp"
#include "concur/process_pool_executor.hpp"
#include "support/processes.hpp"
#include "support/threads.hpp"

namespace concur::test {

// PerStartMethod: a test run once per start method (INSTANTIATE it with
// kStartMethods and start_method_name), failing if it leaves a child
// process, a descriptor or a shared-memory segment behind.
class PerStartMethod : public NothingLeaks, public ::testing::WithParamInterface<StartMethod> {
 protected:
  ProcessPoolOptions options(std::ptrdiff_t workers) const {
    return ProcessPoolOptions{.max_workers = workers, .start_method = GetParam()};
  }
};

inline const auto kStartMethods = ::testing::Values(StartMethod::spawn, StartMethod::fork);

inline std::string start_method_name(const ::testing::TestParamInfo<StartMethod>& param) {
  return param.param == StartMethod::spawn ? "spawn" : "fork";
}

// failure_of<E>: the what() of the E that `future` fails with (a test
// failure, and "", if it does not).
template <class E, class T>
std::string failure_of(const Future<T>& future) {
  try {
    future.result(kHangGuard);
    ADD_FAILURE() << "no exception";
  } catch (const E& e) {
    return e.what();
  }
  return {};
}

}  // namespace concur::test

// EXPECT_CONTAINS: `text` (evaluated once) contains `part`.
#define EXPECT_CONTAINS(text, part)                                    \
  do {                                                                 \
    const std::string whole_text = (text);                             \
    EXPECT_NE(whole_text.find(part), std::string::npos) << whole_text; \
  } while (false)
