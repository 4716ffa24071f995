#!/usr/bin/env bash
# release.sh [VERSION]: cross-compile cognito-gate for linux and darwin on
# amd64 and arm64 into dist/VERSION/, with SHA256SUMS.
#
#   scripts/release.sh v1.2.0
#   OUT=/tmp/dist scripts/release.sh
#
# The binaries are static (CGO_ENABLED=0), reproducible (-trimpath, no
# build ID), and record the version (-X main.version) and the VCS
# revision (-buildvcs, read by `cognito-gate --version`). A tree with
# uncommitted changes is refused unless ALLOW_DIRTY=1.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

version=${1:-$(git describe --tags --always --dirty 2>/dev/null || echo devel)}
case "$version" in
	*[!A-Za-z0-9._+-]*|"") echo "release.sh: version $version: letters, digits and . _ + - only" >&2; exit 2 ;;
esac
if [ -n "$(git status --porcelain 2>/dev/null)" ] && [ "${ALLOW_DIRTY:-}" != 1 ]; then
	echo "release.sh: the tree has uncommitted changes (ALLOW_DIRTY=1 to build anyway; --version then says modified)" >&2
	exit 1
fi
out=${OUT:-dist}/$version
platforms=${PLATFORMS:-"linux/amd64 linux/arm64 darwin/amd64 darwin/arm64"}

rm -rf "$out"
mkdir -p "$out"
for p in $platforms; do
	os=${p%/*} arch=${p#*/}
	name=cognito-gate-$version-$os-$arch
	echo "building $name"
	CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -buildvcs=true \
		-ldflags "-s -w -buildid= -X main.version=$version" \
		-o "$out/$name" ./cmd/cognito-gate
done
(cd "$out" && sha256sum cognito-gate-* > SHA256SUMS)
echo "$out:"
cat "$out/SHA256SUMS"
