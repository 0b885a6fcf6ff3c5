#!/usr/bin/env python3
"""concur::asyncio beside CPython's asyncio, uvloop and Boost.Asio, one run.

Runs the four loop workloads of bench/asyncio_bench.cpp on this machine's
CPython (asyncio's own loop, and uvloop's when /usr/bin/python3 has it:
Debian's python3-uvloop), then the benchmark binary (concur and Asio), and
prints rates side by side with concur's ratio to each anchor.

    python3 bench/compare_asyncio.py build/bench/bench/concur_bench_asyncio
"""
import json
import os
import random
import statistics
import subprocess
import sys
import time

TASKS = 100_000
CALLBACKS = 1_000_000
TIMERS = 100_000
REPEATS = 3

# The anchors' side, run in a child interpreter so that each loop policy
# starts clean. It prints one JSON object of rates.
CHILD = r'''
import asyncio, json, random, statistics, sys, time
TASKS, CALLBACKS, TIMERS, REPEATS = %d, %d, %d, %d
if sys.argv[1] == "uvloop":
    import uvloop
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())

def best_rate(count, body):
    rates = []
    for _ in range(REPEATS):
        loop = asyncio.new_event_loop()
        start = time.perf_counter()
        body(loop)
        rates.append(count / (time.perf_counter() - start))
        loop.close()
    return statistics.median(rates)

async def yield_once():
    await asyncio.sleep(0)

async def tasks_main():
    tasks = [asyncio.ensure_future(yield_once()) for _ in range(TASKS)]
    for t in tasks:
        await t

def tasks(loop):
    loop.run_until_complete(tasks_main())

def call_soon(loop):
    ran = [0]
    def cb():
        ran[0] += 1
    for _ in range(CALLBACKS):
        loop.call_soon(cb)
    loop.call_soon(loop.stop)
    loop.run_forever()
    assert ran[0] == CALLBACKS

rng = random.Random(42)
DELAYS = [rng.randint(0, 1000) / 1e6 for _ in range(TIMERS)]

def timers(loop):
    fired = [0]
    def cb():
        fired[0] += 1
    handles = [loop.call_later(d, cb) for d in DELAYS]
    for h in handles[::2]:
        h.cancel()
    loop.call_later(0.001001, loop.stop)
    loop.run_forever()
    assert fired[0] == TIMERS // 2, fired[0]

async def one():
    return 1

async def gather_main():
    results = await asyncio.gather(*[one() for _ in range(TASKS)])
    assert len(results) == TASKS

def gather(loop):
    loop.run_until_complete(gather_main())

print(json.dumps({
    "tasks": best_rate(TASKS, tasks),
    "call_soon": best_rate(CALLBACKS, call_soon),
    "timers": best_rate(TIMERS, timers),
    "gather": best_rate(TASKS, gather),
}))
''' % (TASKS, CALLBACKS, TIMERS, REPEATS)

NAMES = {
    "tasks": "(1) create, run, await 10^5 tasks, each sleep(0) once (tasks/s)",
    "call_soon": "(2) call_soon of 10^6 callbacks (callbacks/s)",
    "timers": "(3) 10^5 timers up to 1 ms, half cancelled (timers/s)",
    "gather": "(4) gather of 10^5 coroutines (coroutines/s)",
}
CPP = {
    "tasks": ("Concur_Tasks", "Asio_Tasks"),
    "call_soon": ("Concur_CallSoon", "Asio_Post"),
    "timers": ("Concur_Timers", "Asio_Timers"),
    "gather": ("Concur_Gather", "Asio_Gather"),
}


def python_rates(interpreter, policy):
    out = subprocess.run([interpreter, "-c", CHILD, policy], capture_output=True, text=True)
    if out.returncode != 0:
        return None, out.stderr.strip().splitlines()[-1] if out.stderr else "failed"
    return json.loads(out.stdout), None


def cpp_rates(binary):
    out = subprocess.run([binary, "--benchmark_repetitions=%d" % REPEATS,
                          "--benchmark_report_aggregates_only=true",
                          "--benchmark_format=json", "--benchmark_min_time=0.2"],
                         capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    rates, counters, times = {}, {}, {}
    for bench in data["benchmarks"]:
        name = bench["name"].split("/")[0]
        if bench.get("aggregate_name") not in (None, "median"):
            continue
        if "items_per_second" in bench:
            rates[name] = bench["items_per_second"]
        times[name] = bench["real_time"]
        for key in ("bytes_per_task", "thread_stack_bytes"):
            if key in bench:
                counters[key] = bench[key]
    return rates, counters, times


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    binary = sys.argv[1]
    asyncio_rates, error = python_rates(sys.executable, "asyncio")
    if asyncio_rates is None:
        sys.exit("CPython asyncio failed: " + error)
    uvloop_rates, uvloop_error = python_rates("/usr/bin/python3", "uvloop")
    rates, counters, times = cpp_rates(binary)
    version = subprocess.run([sys.executable, "--version"], capture_output=True, text=True).stdout.strip()
    print("concur::asyncio beside %s asyncio, uvloop (/usr/bin/python3) and Boost.Asio 1.74; "
          "medians of %d runs, %s" % (version, REPEATS, time.strftime("%Y-%m-%d")))
    if uvloop_rates is None:
        print("uvloop: not available (%s); install Debian's python3-uvloop" % uvloop_error)
    print()
    header = "| workload | asyncio | uvloop | Asio | concur | vs asyncio | vs uvloop | vs Asio |"
    print(header)
    print("|" + "---|" * 8)
    for key, label in NAMES.items():
        ours, asio = (rates.get(name) for name in CPP[key])
        py = asyncio_rates[key]
        uv = uvloop_rates[key] if uvloop_rates else None
        def m(x):
            return "%.2f M" % (x / 1e6) if x is not None else "-"
        def r(x):
            return "%.1fx" % (ours / x) if x else "-"
        print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (label, m(py), m(uv), m(asio), m(ours), r(py), r(uv), r(asio)))
    rt = times.get("Concur_AwaitPoolRoundTrip")
    own = times.get("Pool_ResultRoundTrip")
    if rt and own:
        print("| (5) round trip: co_await pool.submit(f) vs the pool's own result() | | | | %.2f us vs %.2f us | | | %.2fx the pool's own |" % (rt / 1000, own / 1000, rt / own))
    if counters:
        print()
        print("memory per suspended task (frame and task, measured by the allocator): %.0f bytes; "
              "a thread: %.0f KiB of stack reserved by default" % (counters.get("bytes_per_task", 0),
                                                                   counters.get("thread_stack_bytes", 0) / 1024))


if __name__ == "__main__":
    main()
