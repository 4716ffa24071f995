#!/usr/bin/env bash
# Compares the bench module of BASE (a git revision, or a directory holding
# another checkout of the repository) with this checkout's: builds both test
# binaries, then runs COUNT rounds (default 8), each round running every
# benchmark once with one binary and then with the other (the order
# alternating), so that load from elsewhere on a shared machine falls on
# both sides alike. Prints benchstat BASE vs this checkout, the ratios of
# each (go run ./ratios) and the memory flood of this checkout.
#
# Usage: bench/compare.sh BASE [COUNT]
#        results go to bench/results-base.txt and bench/results.txt (ignored by git)
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$PATH:/usr/local/go/bin"

base=${1:?usage: bench/compare.sh BASE [COUNT]}
count=${2:-8}
flood=${FLOOD:-1000000}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp" bench.test' EXIT
if [[ -d $base ]]; then
	src=$base
else
	src=$tmp/src
	mkdir "$src"
	git -C "$(git rev-parse --show-toplevel)" archive "$base" | tar -x -C "$src"
	# A revision whose bench/go.mod lags behind its root module's still
	# builds: tidy the copy.
	(cd "$src/bench" && go mod tidy)
fi
(cd "$src/bench" && go test -c -o "$tmp/base.test" .)
go test -c -o bench.test .

for out in results-base.txt results.txt; do
	{
		echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(go version) GOMAXPROCS=$(nproc) count=$count base=$base"
		grep -m1 'model name' /proc/cpuinfo || true
	} >"$out"
done

round() { # binary, output
	"$1" -test.run '^$' -test.bench '^Benchmark(Verify|VerifyCached|HTTP|Interleaved)$' \
		-test.benchmem -test.cpu 1 >>"$2"
	"$1" -test.run '^$' -test.bench '^BenchmarkVerifyParallel$' \
		-test.benchmem -test.cpu 1,2 >>"$2"
	"$1" -test.run '^$' -test.bench '^BenchmarkInterleavedParallel$' \
		-test.benchmem -test.cpu 2 >>"$2"
}

for i in $(seq "$count"); do
	echo "round $i/$count, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
	if ((i % 2)); then
		round "$tmp/base.test" results-base.txt
		round ./bench.test results.txt
	else
		round ./bench.test results.txt
		round "$tmp/base.test" results-base.txt
	fi
done

go run golang.org/x/perf/cmd/benchstat@latest results-base.txt results.txt
echo
echo "== base ($base)"
go run ./ratios <results-base.txt
echo
echo "== this checkout"
go run ./ratios <results.txt
echo
./bench.test -test.run '^TestFlood$' -test.v -flood "$flood" | grep -E 'flood:|^(--- |ok|FAIL|PASS)'
