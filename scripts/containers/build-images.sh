#!/usr/bin/env bash
# `pnpm containers:build [tag]`: the six service images and the fakes image from
# deploy/Dockerfile, on the engine prepare.sh made ready, with the local base images
# (NODE_IMAGE overrides). Tags lumikb/<service>:<tag> (default "e2e"; also :dev and
# lumikb/lumikb-<service>:local, the names docker-compose.yml and the production file
# use here) and lumikb/fakes:local. Prints each image's size. Layers are cached by podman:
# the shared build stage (install, bundles, web build) is built once for all six.
set -euo pipefail
# shellcheck source=scripts/containers/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_engine
TAG="${1:-e2e}"
cd "$REPO"
started=$SECONDS
build() { # target service image...
  local target="$1" service="$2"; shift 2
  local t0=$SECONDS log
  log="$CONTAINERS_STATE/build-$service-$target.log"
  local tags=()
  for image in "$@"; do tags+=(-t "$image"); done
  if ! podman build --pull=never --layers --ignorefile deploy/Dockerfile.dockerignore -f deploy/Dockerfile \
      --target "$target" --build-arg SERVICE="$service" --build-arg NODE_IMAGE="$NODE_IMAGE" "${tags[@]}" . >"$log" 2>&1; then
    tail -40 "$log" >&2
    say "building $1 failed (full log: $log)"
    exit 1
  fi
  say "built $1 in $((SECONDS - t0)) s"
}
say "base image: $NODE_IMAGE"
for s in "${SERVICE_NAMES[@]}"; do
  build runtime "$s" "lumikb/$s:$TAG" "lumikb/$s:dev" "lumikb/lumikb-$s:local"
done
# The fakes image is the build stage: the same cached layers, no extra install.
build fakes gateway lumikb/fakes:local
say "images built in $((SECONDS - started)) s; sizes:"
for s in "${SERVICE_NAMES[@]}" ; do
  printf '  %-18s %s\n' "$s" "$(podman image inspect -f '{{.Size}}' "lumikb/$s:$TAG" | awk '{printf "%.0f MB", $1/1e6}')"
done
printf '  %-18s %s (test stacks only)\n' fakes "$(podman image inspect -f '{{.Size}}' lumikb/fakes:local | awk '{printf "%.0f MB", $1/1e6}')"
printf '  %-18s %s (of which the Node base)\n' base "$(podman image inspect -f '{{.Size}}' "$NODE_IMAGE" | awk '{printf "%.0f MB", $1/1e6}')"
