#!/usr/bin/env python3
"""concur's ProcessPoolExecutor beside CPython's, on this machine, in one run.

Runs the same four workloads on python3's concurrent.futures.ProcessPoolExecutor
and on concur_bench_process_pool (Google Benchmark, JSON output), then prints
both with their ratio and the issue's target:

  python3 bench/compare_cpython_process_pool.py [path/to/concur_bench_process_pool]

Workloads (2 workers): submit + result of 2*10^4 tiny tasks; round trip of
one task; map over 10^6 ints with chunksize 256; start of one worker (pool
creation + first result; spawn for both).
"""
import concurrent.futures as cf
import json
import multiprocessing as mp
import subprocess
import sys
import time

WORKERS = 2
TASKS = 20000
ROUND_TRIPS = 2000
MAP_ITEMS = 1000000
STARTS = 10


def square(x):
    return x * x


def python_figures():
    figures = {}
    with cf.ProcessPoolExecutor(WORKERS) as ex:
        list(ex.map(square, range(4)))  # both workers up
        best = 0.0
        for _ in range(3):
            t = time.perf_counter()
            futures = [ex.submit(square, i) for i in range(TASKS)]
            for f in futures:
                f.result()
            best = max(best, TASKS / (time.perf_counter() - t))
        figures["submit_per_s"] = best
        t = time.perf_counter()
        for i in range(ROUND_TRIPS):
            ex.submit(square, i).result()
        figures["round_trip_us"] = (time.perf_counter() - t) / ROUND_TRIPS * 1e6
        t = time.perf_counter()
        sum(ex.map(square, range(MAP_ITEMS), chunksize=256))
        figures["map_items_per_s"] = MAP_ITEMS / (time.perf_counter() - t)
    spawn = mp.get_context("spawn")
    t = time.perf_counter()
    for _ in range(STARTS):
        with cf.ProcessPoolExecutor(1, mp_context=spawn) as ex:
            ex.submit(square, 3).result()
    figures["start_ms"] = (time.perf_counter() - t) / STARTS * 1e3
    return figures


def concur_figures(binary):
    out = subprocess.run(
        [binary, "--benchmark_format=json", "--benchmark_min_time=0.5"],
        check=True, capture_output=True, text=True).stdout
    runs = {b["name"]: b for b in json.loads(out)["benchmarks"]}

    def get(name):
        return next(v for k, v in runs.items() if k.startswith(name))

    to_us = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}
    start = get("WorkerStart/spawn")
    return {
        "submit_per_s": get("SubmitAndCollect<ProcessPoolExecutor>")["items_per_second"],
        "round_trip_us": get("RoundTrip<ProcessPoolExecutor>")["real_time"]
        * to_us[get("RoundTrip<ProcessPoolExecutor>")["time_unit"]],
        "map_items_per_s": get("Map<ProcessPoolExecutor>")["items_per_second"],
        "start_ms": start["real_time"] * to_us[start["time_unit"]] / 1e3,
        "thread_submit_per_s": get("SubmitAndCollect<ThreadPoolExecutor>")["items_per_second"],
    }


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "build/bench/bench/concur_bench_process_pool"
    py = python_figures()
    cc = concur_figures(binary)
    rows = [
        ("submit+result (tasks/s)", "submit_per_s", True, ">= 20x"),
        ("round trip (us)", "round_trip_us", False, "<= 0.1x"),
        ("map chunksize 256 (items/s)", "map_items_per_s", True, ">= 10x"),
        ("worker start, spawn (ms)", "start_ms", False, "<= 5 ms"),
    ]
    print(f"python {sys.version.split()[0]}, {WORKERS} workers")
    print(f"{'':30} {'CPython':>12} {'concur':>12} {'ratio':>8}  target")
    for label, key, higher_is_better, target in rows:
        ratio = cc[key] / py[key]
        print(f"{label:30} {py[key]:12.1f} {cc[key]:12.1f} {ratio:7.2f}x  {target}")
    print(f"(concur's ThreadPoolExecutor, same submit+result: "
          f"{cc['thread_submit_per_s']:.0f} tasks/s)")


if __name__ == "__main__":
    main()
