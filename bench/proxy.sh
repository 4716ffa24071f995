#!/bin/sh
# The proxy-level benchmark of issue 18 (see README.md, "Proxy level"):
# builds oauth2-proxy v7.15.6 (once, into a cache outside the repository)
# and proxybench, and runs every path side by side on 127.0.0.1.
#
#   bench/proxy.sh                          # 3 rounds of 3 s, 16 and 64 connections (~6 minutes)
#   bench/proxy.sh --duration 10s --rounds 5 --conns 16,64
#   bench/proxy.sh --only bare,serve-cached --pools 0 --mem-tokens 0
#
# Every argument goes to proxybench (go run ./proxybench --help). The
# report goes to stdout and to $PROXYBENCH_OUT (default
# /tmp/proxybench-results.md); uptime is printed before and after.
set -eu
cd "$(dirname "$0")"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/cognito-gate-bench"
o2p_dir="$cache/oauth2-proxy-v7.15.6"
if [ ! -x "$o2p_dir/oauth2-proxy" ]; then
	echo "proxy.sh: building oauth2-proxy v7.15.6 into $o2p_dir (a few minutes, once)" >&2
	mkdir -p "$o2p_dir"
	GOBIN="$o2p_dir" go install github.com/oauth2-proxy/oauth2-proxy/v7@v7.15.6
fi
mkdir -p "$cache"
go build -o "$cache/proxybench" ./proxybench
out="${PROXYBENCH_OUT:-/tmp/proxybench-results.md}"
echo "uptime before: $(uptime)" >&2
"$cache/proxybench" --oauth2-proxy "$o2p_dir/oauth2-proxy" "$@" | tee "$out"
echo "uptime after: $(uptime)" >&2
