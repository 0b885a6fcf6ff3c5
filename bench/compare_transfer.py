#!/usr/bin/env python3
"""Big payloads to processes: concur beside memcpy, its thread pool, its own
socket path and CPython, on this machine, in one run.

  python3 bench/compare_transfer.py [path/to/concur_bench_transfer]

Runs concur_bench_transfer (Google Benchmark, JSON; each benchmark in a
process of its own) and then CPython's
concurrent.futures.ProcessPoolExecutor (2 workers) on the same shapes: 48
tasks x 1 MiB, 4 x 64 MiB, 1 x 512 MiB, as arguments (each task reads two
bytes of its argument) and as results (each task returns that many bytes).
CPython moves them pickled through its pipe, and, for arguments, also
through multiprocessing.shared_memory (the parent copies the bytes into a
segment, the worker attaches by name). Beside them, concur's memcpy into a
buffer allocated once, a copy into a fresh std::vector (allocation and page
faults included), its thread pool, and its process pool with shared memory
off (shm_threshold = 0: the socket, as before). Prints GB/s per engine, the ratios
the shared-memory issue sets as targets, and the SharedBuffer hand-off times.
"""
import concurrent.futures as cf
import json
import subprocess
import sys
import time
from multiprocessing import resource_tracker, shared_memory

WORKERS = 2
MIB = 1 << 20
SHAPES = [(48, 1), (4, 64), (1, 512)]


def touch(data):
    return data[0] + data[-1]


def make_bytes(size):
    return bytes(size)


def touch_shared(name):
    segment = shared_memory.SharedMemory(name=name)
    # Python 3.11 registers an attached segment with the worker's resource
    # tracker too, which then warns and unlinks it at exit (gh-82300; 3.13
    # adds track=False): undo that, as users of 3.11 must.
    resource_tracker.unregister(segment._name, "shared_memory")
    try:
        return segment.buf[0] + segment.buf[-1]
    finally:
        segment.close()


def timed(run, repetitions):
    best = float("inf")
    for _ in range(repetitions):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def python_figures():
    figures = {}
    with cf.ProcessPoolExecutor(WORKERS) as ex:
        list(ex.map(touch, [b"ab"] * 4))  # both workers up
        for tasks, mib in SHAPES:
            size = mib * MIB
            payload = bytes(size)
            total = tasks * size
            reps = 3 if mib < 512 else 1

            def arguments():
                for f in [ex.submit(touch, payload) for _ in range(tasks)]:
                    f.result()

            def results():
                for f in [ex.submit(make_bytes, size) for _ in range(tasks)]:
                    f.result()

            def arguments_shared():
                segments = []
                futures = []
                for _ in range(tasks):
                    segment = shared_memory.SharedMemory(create=True, size=size)
                    segment.buf[:size] = payload
                    segments.append(segment)
                    futures.append(ex.submit(touch_shared, segment.name))
                for f in futures:
                    f.result()
                for segment in segments:
                    segment.close()
                    segment.unlink()

            figures[("Arguments", tasks, mib)] = total / timed(arguments, reps) / 1e9
            figures[("Results", tasks, mib)] = total / timed(results, reps) / 1e9
            figures[("ArgumentsShared", tasks, mib)] = total / timed(arguments_shared, reps) / 1e9
    return figures


def concur_figures(binary):
    # Each benchmark in a process of its own: what a big copy costs depends
    # on the allocator's state (memory kept from an earlier benchmark saves
    # the page faults of fresh memory), so none inherits another's heap.
    names = subprocess.run([binary, "--benchmark_list_tests"], check=True, capture_output=True,
                           text=True).stdout.split()
    figures = {}
    for test in names:
        out = subprocess.run([binary, "--benchmark_format=json", "--benchmark_min_time=0.5",
                              f"--benchmark_filter=^{test}$"],
                             check=True, capture_output=True, text=True).stdout
        for b in json.loads(out)["benchmarks"]:
            name = b["name"].replace("/real_time", "")
            if b.get("error_occurred"):
                continue  # the socket path refuses results over 512 MiB
            if "bytes_per_second" in b:
                figures[name] = b["bytes_per_second"] / 1e9
            else:
                figures[name] = b["real_time"]  # microseconds or milliseconds
    return figures


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "build/bench/bench/concur_bench_transfer"
    concur = concur_figures(binary)
    python = python_figures()
    print("GB/s, 2 workers (higher is better)")
    header = f"{'shape':<22}{'memcpy':>8}{'fresh':>8}{'threads':>9}{'processes':>11}" \
             f"{'socket':>8}{'CPython':>9}{'CPy shm':>9}"
    for kind in ("Arguments", "Results"):
        print(f"\n{kind}")
        print(header)
        for tasks, mib in SHAPES:
            key = f"tasks:{tasks}/MiB:{mib}"
            row = [concur.get(f"{kind}/{engine}/{key}", float("nan"))
                   for engine in ("Memcpy", "FreshCopy", "Threads", "Processes", "Socket")]
            cpy = python[(kind, tasks, mib)]
            shm = python.get(("ArgumentsShared", tasks, mib)) if kind == "Arguments" else None
            shm_text = f"{shm:>9.2f}" if shm is not None else f"{'-':>9}"
            print(f"{tasks:>3} x {mib:>3} MiB{'':<10}" +
                  "".join(f"{v:>{w}.2f}" for v, w in zip(row, (8, 8, 9, 11, 8))) +
                  f"{cpy:>9.2f}{shm_text}")
    print("\nRatios (targets from the shared-memory issue)")
    for kind in ("Arguments", "Results"):
        one = concur[f"{kind}/Processes/tasks:48/MiB:1"]
        big = concur[f"{kind}/Processes/tasks:4/MiB:64"]
        print(f"  {kind:<9} 1 MiB:  processes / threads = "
              f"{one / concur[f'{kind}/Threads/tasks:48/MiB:1']:.2f}  (target >= 0.5)")
        print(f"  {kind:<9} 64 MiB: processes / memcpy  = "
              f"{big / concur[f'{kind}/Memcpy/tasks:4/MiB:64']:.2f}  (target >= 0.5)")
        for tasks, mib in SHAPES:
            key = f"tasks:{tasks}/MiB:{mib}"
            ours = concur[f"{kind}/Processes/{key}"]
            socket = concur.get(f"{kind}/Socket/{key}")
            socket_text = f"{ours / socket:.1f}" if socket else "refused by the socket path"
            print(f"  {kind:<9} {tasks} x {mib} MiB: processes / socket = {socket_text}, "
                  f"/ threads = {ours / concur[f'{kind}/Threads/{key}']:.2f}, "
                  f"/ fresh copy = {ours / concur[f'{kind}/FreshCopy/{key}']:.2f}, "
                  f"/ CPython = {ours / python[(kind, tasks, mib)]:.1f}")
    hand = {k: v for k, v in concur.items() if k.startswith("HandOff/")}
    tiny = concur["TinyRoundTrip"]
    print("\nSharedBuffer hand-off (round trip, us)")
    for name, us in hand.items():
        print(f"  {name:<22}{us:>8.1f}   / tiny round trip = {us / tiny:.2f}  (target <= 2)")
    print(f"  largest / smallest = {max(hand.values()) / min(hand.values()):.2f}  (target <= 2)")
    print(f"  tiny round trip {tiny:.1f} us")
    with_threshold = concur["SmallTasks/threshold:65536"]
    without = concur["SmallTasks/threshold:0"]
    print(f"\nSmall tasks (2*10^4, ms): threshold 64 KiB {with_threshold:.1f}, off {without:.1f}: "
          f"ratio {without / with_threshold:.2f}  (target >= 1.0 within noise)")


if __name__ == "__main__":
    main()
