// The worker process's side of the pool: its main loop and how it learns it
// is one.
#pragma once

namespace concur::detail {

// The environment variable a spawned worker finds: "<fd>:<parent pid>".
inline constexpr const char* kWorkerEnv = "CONCUR_WORKER";
// The descriptor a worker's channel is moved to.
inline constexpr int kWorkerChannelFd = 3;

// run_worker: serves tasks from the parent over `channel` until it closes;
// then exits the process.
[[noreturn]] void run_worker(int channel);

// die_with_parent: the worker is killed when the thread that made it exits;
// exits at once if that parent is already gone (prctl's race).
void die_with_parent(int expected_parent);

// init_was_called: whether concur::init() ran in this process.
bool init_was_called() noexcept;
// argv0: this program's argv[0] as concur::init() saw it, or nullptr.
const char* program_argv0() noexcept;

// refuse_pools_in_unhooked_worker: aborts with an explanation if this
// process was spawned as a worker but main() did not call concur::init()
// first - instead of re-running the program and spawning workers of its own.
void refuse_pools_in_unhooked_worker();

}  // namespace concur::detail
