# The two quick-start entry points. Each installs what is missing, then runs a
# CMake workflow preset; everything else is plain CMake (see CMakePresets.json).
# `make bench` builds everything and runs concur-compare, the thread-vs-process
# laboratory; `make benchmarks` runs the micro-benchmarks and the comparisons
# with CPython that the README quotes.
.PHONY: bench benchmarks test

bench:
	bash cmake/install-deps.sh bench
	cmake --workflow --preset bench
	./build/bench/tools/compare/concur-compare --plot build/bench/concur-compare.svg
	@echo "chart: build/bench/concur-compare.svg"

benchmarks:
	bash cmake/install-deps.sh bench
	cmake --workflow --preset bench
	./build/bench/bench/concur_bench_sync --benchmark_min_time=0.2
	./build/bench/bench/concur_bench_queue --benchmark_min_time=0.2
	./build/bench/bench/concur_bench_thread_pool --benchmark_min_time=0.2
	./build/bench/bench/concur_bench_gil --benchmark_min_time=0.2
	python3 bench/compare_cpython_process_pool.py build/bench/bench/concur_bench_process_pool
	python3 bench/compare_cpython_gil.py build/bench/bench/concur_gil_experiments
	python3 bench/compare_asyncio.py build/bench/bench/concur_bench_asyncio
	python3 bench/compare_transfer.py build/bench/bench/concur_bench_transfer

test:
	bash cmake/install-deps.sh test
	cmake --workflow --preset dev
