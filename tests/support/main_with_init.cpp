// main() for test binaries that use process pools: concur::init first, so a
// spawned worker diverts here instead of running the tests again.
#include <gtest/gtest.h>

#include "concur/process_pool_executor.hpp"

int main(int argc, char** argv) {
  concur::init(argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
