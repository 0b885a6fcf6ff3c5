# The two quick-start entry points. Each installs what is missing, then runs a
# CMake workflow preset; everything else is plain CMake (see CMakePresets.json).
# Until the thread-vs-process comparison tool exists, `make bench` runs the
# micro-benchmarks.
.PHONY: bench test

bench:
	bash cmake/install-deps.sh bench
	cmake --workflow --preset bench
	./build/bench/bench/concur_bench_sync --benchmark_min_time=0.2
	./build/bench/bench/concur_bench_queue --benchmark_min_time=0.2
	./build/bench/bench/concur_bench_thread_pool --benchmark_min_time=0.2
	./build/bench/bench/concur_bench_gil --benchmark_min_time=0.2
	python3 bench/compare_cpython_process_pool.py build/bench/bench/concur_bench_process_pool
	python3 bench/compare_cpython_gil.py build/bench/bench/concur_gil_experiments

test:
	bash cmake/install-deps.sh test
	cmake --workflow --preset dev
