#!/usr/bin/env python3
"""The GIL experiments on the real interpreter beside concur's emulator.

  python3 bench/compare_cpython_gil.py [path/to/concur_gil_experiments]

Runs (a)-(e) of bench/gil_experiments.cpp on this python3 (and on python2.7
for (d) when one is installed), runs the emulator's program with --json, and
prints both with the issue's targets. CPython does not count its own GIL
switches, so (b) infers them, on both sides alike: a thread that sees a gap of more than half the
switch interval between two turns of its loop lost the GIL and got it back (a
smaller threshold counts the VM's own preemptions too); a slice is a run of
turns without such a gap.
"""
import concurrent.futures as cf
import json
import shutil
import subprocess
import sys
import threading
import time

WORK = 20_000_000
INTERVALS = [("5ms", 5e-3), ("1ms", 1e-3), ("0.1ms", 1e-4)]


def count(n):
    while n > 0:
        n -= 1


def timed_threads(threads):
    start = time.perf_counter()
    pool = [threading.Thread(target=count, args=(WORK // threads,)) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return time.perf_counter() - start


def timed_processes(processes):
    start = time.perf_counter()
    with cf.ProcessPoolExecutor(processes) as ex:
        list(ex.map(count, [WORK // processes] * processes))
    return time.perf_counter() - start


def switching(threads, interval):
    sys.setswitchinterval(interval)
    stop = False
    record = []

    gap = max(20e-6, interval / 2)

    def spin(slices):
        clock = time.perf_counter
        last = clock()
        began = last
        while not stop:
            now = clock()
            if now - last > gap:
                slices.append((began, last))
                began = now
            last = now
        slices.append((began, last))

    lists = [[] for _ in range(threads)]
    pool = [threading.Thread(target=spin, args=(lst,)) for lst in lists]
    for t in pool:
        t.start()
    time.sleep(0.2)
    t0 = time.perf_counter()
    time.sleep(1.0)
    t1 = time.perf_counter()
    stop = True
    for t in pool:
        t.join()
    for lst in lists:
        record.extend(s for s in lst if s[0] >= t0 and s[1] <= t1)
    record.sort()
    lengths = sorted(end - begin for begin, end in record)
    p50 = lengths[len(lengths) // 2] if lengths else 0.0
    sys.setswitchinterval(5e-3)
    return {"per_second": len(record) / (t1 - t0), "slice_p50_ms": p50 * 1e3}


def convoy(interval):
    sys.setswitchinterval(interval)
    stop = False

    def spin():
        while not stop:
            pass

    spinner = threading.Thread(target=spin)
    spinner.start()
    time.sleep(0.05)
    start = time.perf_counter()
    for _ in range(200):
        time.sleep(0)
    total = time.perf_counter() - start
    stop = True
    spinner.join()
    sys.setswitchinterval(5e-3)
    return total


def io(threads):
    def sleeper():
        for _ in range(20):
            time.sleep(0.05)

    start = time.perf_counter()
    pool = [threading.Thread(target=sleeper) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return time.perf_counter() - start


LEGACY = """
import threading, time
def count(n):
    while n > 0:
        n -= 1
W = %d
t = time.time(); count(W); seq = time.time() - t
t = time.time()
ts = [threading.Thread(target=count, args=(W // 2,)) for _ in range(2)]
[x.start() for x in ts]; [x.join() for x in ts]
print("%%f %%f" %% (seq, time.time() - t))
""" % (WORK // 4)


def legacy():
    if shutil.which("python2.7") is None:
        return None
    try:
        out = subprocess.run(["python2.7", "-c", LEGACY], capture_output=True, text=True,
                             timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    seq, two = map(float, out.stdout.split())
    return {"sequential": seq, "threads2": two}


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


def interleaved_switching(binary, rounds=3):
    """(b) on both sides, configuration by configuration, alternating, the
    median of `rounds` pairs: this VM drifts between fast and slow moments,
    and a comparison should not straddle one."""
    results = {}
    for n in (2, 4):
        for name, interval in INTERVALS:
            real, emulated = [], []
            for _ in range(rounds):
                real.append(switching(n, interval))
                out = subprocess.run([binary, "--switching", str(n), str(int(interval * 1e6))],
                                     check=True, capture_output=True, text=True).stdout
                emulated.append(json.loads(out))
            pick = lambda runs: min(runs, key=lambda r: abs(
                r["per_second"] - median([x["per_second"] for x in runs])))
            results[f"{n}@{name}"] = (pick(real), pick(emulated))
    return results


def python_figures():
    sequential = timed_threads(1)
    return {
        "cpu": {"sequential": sequential, "threads2": timed_threads(2),
                "threads4": timed_threads(4), "processes2": timed_processes(2),
                "processes4": timed_processes(4)},
        "convoy": {name: convoy(iv) for name, iv in INTERVALS},
        "legacy": legacy(),
        "io": {str(n): io(n) for n in (1, 2, 4, 8)},
    }


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "build/bench/bench/concur_gil_experiments"
    emulated = json.loads(subprocess.run([binary, "--json"], check=True, capture_output=True,
                                         text=True).stdout)
    real = python_figures()
    paired = interleaved_switching(binary)

    def speed(fig, key):
        return fig["cpu"]["sequential"] / fig["cpu"][key]

    print(f"python {sys.version.split()[0]} beside concur's emulator (modern policy)")
    print("(a) CPU-bound countdown, speed vs sequential     CPython   emulator   target")
    for key in ("threads2", "threads4", "processes2", "processes4"):
        target = "0.90-1.05x" if key.startswith("threads") else ">= 1.6x"
        print(f"    {key:12} {speed(real, key):37.2f}x {speed(emulated, key):9.2f}x   {target}")
    print("(b) switches/s inferred from gaps (slice p50 ms), median of 3 interleaved pairs")
    print("                                                 CPython   emulator   ratio (target 0.85-1.15)   emulator's own count")
    for key, (fig, emu) in paired.items():
        ratio = emu["per_second"] / fig["per_second"] if fig["per_second"] else float("nan")
        print(f"    {key:10} {fig['per_second']:20.0f} ({fig['slice_p50_ms']:6.3f}) "
              f"{emu['per_second']:8.0f} ({emu['slice_p50_ms']:6.3f})  {ratio:5.2f}"
              f"   {emu['exact_per_second']:8.0f}")
    print("(c) convoy, 200 blocking calls beside a CPU thread   CPython   emulator   ratio (target 0.7-1.5 at 5 and 1 ms)")
    for key, total in real["convoy"].items():
        emu = emulated["convoy"][key]
        print(f"    {key:8} {total:36.3f} s {emu:8.3f} s  {emu / total:5.2f}")
    legacy_emu = emulated["legacy"]["threads2"] / emulated["legacy"]["sequential"]
    real_legacy = real["legacy"]
    legacy_real = (f"{real_legacy['threads2'] / real_legacy['sequential']:.2f}x"
                   if real_legacy else "no python2.7")
    print(f"(d) legacy, 2 CPU threads / sequential time: python2.7 {legacy_real}, "
          f"emulator {legacy_emu:.2f}x (target >= 1.3x)")
    print("(e) I/O-bound threads, speed-up                  CPython   emulator   target")
    for key, total in real["io"].items():
        n = int(key)
        print(f"    {n} threads {n / total:38.2f}x {n / emulated['io'][key]:8.2f}x   >= {0.9 * n:.1f}x")


if __name__ == "__main__":
    main()
