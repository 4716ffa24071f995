#!/usr/bin/env bash
# build-image.sh [TAG]: build the cognito-gate container image without a
# registry: FROM scratch (deploy/Containerfile), with a static binary built
# here and the CA certificates of this machine (Debian's ca-certificates,
# or $CA_BUNDLE). Uses podman, or buildah when $BUILDER=buildah.
#
#   scripts/build-image.sh                      # cognito-gate:dev
#   VERSION=v1.2.0 scripts/build-image.sh cognito-gate:v1.2.0
#   GOARCH=arm64 scripts/build-image.sh cognito-gate:dev-arm64
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

tag=${1:-cognito-gate:dev}
builder=${BUILDER:-podman}
ca=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
arch=${GOARCH:-$(go env GOARCH)}
version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo devel)}
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
# The commit's time, not the build's: the same commit gives the same labels.
created=$(git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null || echo 1970-01-01T00:00:00Z)

if [ ! -s "$ca" ]; then
	echo "build-image.sh: no CA bundle at $ca (apt-get install ca-certificates, or set CA_BUNDLE)" >&2
	exit 1
fi

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
CGO_ENABLED=0 GOOS=linux GOARCH="$arch" go build -trimpath -buildvcs=auto \
	-ldflags "-s -w -X main.version=$version" -o "$ctx/cognito-gate" ./cmd/cognito-gate
cp "$ca" "$ctx/ca-certificates.crt"
cp deploy/Containerfile "$ctx/Containerfile"

args=(--format docker --platform "linux/$arch" -f "$ctx/Containerfile" -t "$tag"
	--build-arg "VERSION=$version" --build-arg "REVISION=$revision" --build-arg "CREATED=$created")
case "$builder" in
	podman) podman build "${args[@]}" "$ctx" ;;
	buildah) buildah bud "${args[@]}" "$ctx" ;;
	*) echo "build-image.sh: BUILDER=$builder: want podman or buildah" >&2; exit 2 ;;
esac
echo "built $tag (cognito-gate $version, $revision, linux/$arch)"
