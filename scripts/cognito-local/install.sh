#!/usr/bin/env bash
# Installs cognito-local (pinned by package-lock.json) into this folder's
# node_modules, for cmd/cognito-gate/cognitolocal_test.go. Nothing global,
# nothing committed. Skips the install when node_modules already matches the
# lockfile. Afterwards run the test with
#   COGNITO_LOCAL_DIR=$PWD/scripts/cognito-local go test -race -run CognitoLocal ./cmd/cognito-gate/
set -euo pipefail
cd "$(dirname "$0")"
command -v node >/dev/null || { echo "cognito-local needs node (20 or later)" >&2; exit 1; }
stamp=node_modules/.cognito-gate-installed
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp" && [ -f node_modules/cognito-local/lib/bin/start.js ]; then
	echo "cognito-local $(node -p 'require("./node_modules/cognito-local/package.json").version') already installed"
	exit 0
fi
# --ignore-scripts: the only install script (aws-sdk's) prints a notice.
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
cp package-lock.json "$stamp"
echo "cognito-local $(node -p 'require("./node_modules/cognito-local/package.json").version') installed in $PWD/node_modules"
