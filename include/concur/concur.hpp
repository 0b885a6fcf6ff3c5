// concur/concur.hpp - the umbrella header: everything concur offers.
#pragma once

#include "concur/any_executor.hpp"
#include "concur/barrier.hpp"
#include "concur/condition.hpp"
#include "concur/errors.hpp"
#include "concur/event.hpp"
#include "concur/executor.hpp"
#include "concur/future.hpp"
#include "concur/gil.hpp"
#include "concur/lock.hpp"
#include "concur/map_result.hpp"
#include "concur/process_pool_executor.hpp"
#include "concur/queue.hpp"
#include "concur/semaphore.hpp"
#include "concur/serialize.hpp"
#include "concur/task_options.hpp"
#include "concur/thread_pool_executor.hpp"
