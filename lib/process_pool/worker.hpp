// The worker process's side of the pool: its main loop and how it learns it
// is one.
#pragma once

namespace concur::detail {

// The environment variable a spawned worker finds:
// "<in fd>,<out fd>:<parent pid>".
inline constexpr const char* kWorkerEnv = "CONCUR_WORKER";
// The descriptors a worker's channels are moved to. One socket per
// direction: a reader draining one direction then never wakes a process
// blocked on the other (a socketpair's two directions share a wait queue).
inline constexpr int kWorkerInFd = 3;
inline constexpr int kWorkerOutFd = 4;

// run_worker: serves calls read from `in`, writing outcomes to `out`, until
// `in` closes; then exits the process.
[[noreturn]] void run_worker(int in, int out);

// die_with_parent: the worker is killed when the thread that made it exits;
// exits at once if that parent is already gone (prctl's race).
void die_with_parent(int expected_parent);

// name_this_process: the process's name (ps, top: /proc/<pid>/comm) becomes
// the program's name followed by `role` ("-worker"), within the 15
// characters the kernel keeps.
void name_this_process(const char* role) noexcept;

// flush_standard_streams: writes what stdio and the standard C++ streams
// have buffered, before a fork copies the buffers.
void flush_standard_streams() noexcept;

// init_was_called: whether concur::init() ran in this process.
bool init_was_called() noexcept;
// argv0: this program's argv[0] as concur::init() saw it, or nullptr.
const char* program_argv0() noexcept;

// refuse_pools_in_unhooked_worker: aborts with an explanation if this
// process was spawned as a worker but main() did not call concur::init()
// first - instead of re-running the program and spawning workers of its own.
void refuse_pools_in_unhooked_worker();

}  // namespace concur::detail
