#!/usr/bin/env bash
# Runs the bench module's benchmarks in COUNT rounds (default 6; every round
# runs every benchmark once, so that load from elsewhere on a shared machine
# spreads over all of them), then prints the benchstat table, the ratios to
# the floor with the targets of issue 6 (go run ./ratios), and the
# memory-flood figure (TestFlood with FLOOD distinct invalid tokens,
# default 1000000).
#
# Usage: bench/run.sh [COUNT]     results go to bench/results.txt (ignored by git)
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$PATH:/usr/local/go/bin"

count=${1:-6}
out=results.txt
flood=${FLOOD:-1000000}

go test -c -o bench.test .
trap 'rm -f bench.test' EXIT

{
	echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(go version) GOMAXPROCS=$(nproc) count=$count"
	grep -m1 'model name' /proc/cpuinfo || true
} >"$out"

for i in $(seq "$count"); do
	echo "round $i/$count" >&2
	./bench.test -test.run '^$' -test.bench '^Benchmark(Verify|VerifyCached|HTTP|Interleaved)$' \
		-test.benchmem -test.cpu 1 >>"$out"
	./bench.test -test.run '^$' -test.bench '^BenchmarkVerifyParallel$' \
		-test.benchmem -test.cpu 1,2 >>"$out"
	./bench.test -test.run '^$' -test.bench '^BenchmarkInterleavedParallel$' \
		-test.benchmem -test.cpu 2 >>"$out"
done

go run golang.org/x/perf/cmd/benchstat@latest "$out"
echo
go run ./ratios <"$out"
echo
./bench.test -test.run '^TestFlood$' -test.v -flood "$flood" | grep -E 'flood:|^(--- |ok|FAIL|PASS)'
