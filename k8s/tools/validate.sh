#!/usr/bin/env bash
# ./vad k8s validate: offline validation of k8s/ and helm/vad (see validate.mjs for what is checked).
# Installs what it needs when missing: Debian's Go toolchain + the Go libraries Helm renders with (sprig v3,
# sigs.k8s.io/yaml) to build helm-render, kubectl (kustomize) and the pinned npm packages (npm ci).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
say() { printf '\033[1;34m[k8s]\033[0m %s\n' "$*" >&2; }
[ $# -eq 0 ] || { echo "usage: ./vad k8s validate" >&2; exit 2; }

apt_install() {
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  say "installing missing system packages: $*"
  for attempt in 1 2 3 4 5 6; do
    if $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null; then return 0; fi
    say "apt-get failed (dpkg lock held?), retrying in 10 s ($attempt/6)"; sleep 10
  done
  say "could not install $*"; return 1
}

missing=()
command -v go >/dev/null 2>&1 || missing+=(golang-go)
[ -d /usr/share/gocode/src/github.com/Masterminds/sprig ] || missing+=(golang-github-masterminds-sprig-dev)
[ -d /usr/share/gocode/src/sigs.k8s.io/yaml ] || missing+=(golang-k8s-sigs-yaml-dev)
command -v kubectl >/dev/null 2>&1 || missing+=(kubectl)
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
command -v kubectl >/dev/null 2>&1 || { say "kubectl is required (kubectl kustomize) and could not be installed"; exit 1; }

# helm-render: rebuilt when its source changes. Debian installs sprig v3 and semver v3 without the /v3 suffix their
# import paths carry, so a private GOPATH maps the /v3 paths onto them (GOPATH mode: no module download at all).
BIN="$HERE/.bin"; CACHE="$HERE/.cache"; mkdir -p "$BIN" "$CACHE"
SRC_HASH="$(cat "$HERE/helm-render/"*.go | sha256sum | cut -c1-16)"
if [ ! -x "$BIN/helm-render" ] || [ "$(cat "$BIN/helm-render.hash" 2>/dev/null)" != "$SRC_HASH" ]; then
  say "building helm-render (Go $(go env GOVERSION), text/template + sprig v3 + sigs.k8s.io/yaml from Debian)"
  GP="$CACHE/gopath"
  for m in sprig semver; do
    mkdir -p "$GP/src/github.com/Masterminds/$m"
    ln -sfn "/usr/share/gocode/src/github.com/Masterminds/$m" "$GP/src/github.com/Masterminds/$m/v3"
  done
  (cd "$HERE/helm-render" && GO111MODULE=off GOPATH="$GP:/usr/share/gocode" GOCACHE="$CACHE/go-build" GOFLAGS= \
      go build -o "$BIN/helm-render" .)
  echo "$SRC_HASH" > "$BIN/helm-render.hash"
fi

if [ ! -d "$HERE/node_modules" ] || [ "$HERE/package-lock.json" -nt "$HERE/node_modules/.package-lock.json" ]; then
  say "installing the pinned npm packages (npm ci in k8s/tools)"
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi

exec node "$HERE/validate.mjs"
