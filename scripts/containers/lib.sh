# Shared by scripts/containers/*.sh (sourced): the engine's environment written by
# prepare.sh, the local base images, compose and health-check helpers.
# shellcheck shell=bash
CONTAINERS_STATE="${LUMIKB_CONTAINERS_STATE:-/var/lib/lumikb-containers}"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SERVICE_NAMES=(gateway auth registry knowledge-base ingestion-worker proxy-sync)
say() { printf '[containers] %s\n' "$*" >&2; }

load_engine() {
  [ -f "$CONTAINERS_STATE/env" ] || { say "no engine prepared: run pnpm containers:prepare"; return 1; }
  # shellcheck disable=SC1091
  . "$CONTAINERS_STATE/env"
  curl -fsS --max-time 3 --unix-socket "${DOCKER_HOST#unix://}" http://d/_ping >/dev/null 2>&1 \
    || { say "the Docker API at $DOCKER_HOST does not answer: run pnpm containers:prepare"; return 1; }
  # Base images: the local stand-ins when prepare.sh built them, else the official names.
  local_or() { if podman image exists "$1"; then echo "$1"; else echo "$2"; fi; }
  export NODE_IMAGE="${NODE_IMAGE:-$(local_or localhost/node:20-bookworm-slim node:20-bookworm-slim)}"
  export POSTGRES_IMAGE="${POSTGRES_IMAGE:-$(local_or localhost/postgres:15-bookworm postgres:16-alpine)}"
  export NATS_IMAGE="${NATS_IMAGE:-$(local_or localhost/nats:2.9-bookworm nats:2.10-alpine)}"
  # docker-compose 1.29 would otherwise build through the API without our ignore file.
  export COMPOSE_DOCKER_CLI_BUILD=0
}

# Without systemd podman never runs HEALTHCHECKs by itself (status stays "starting"), so
# `depends_on: service_healthy` would wait forever: tick them, every 2 s, for the
# containers of one compose project, until killed.
start_health_ticker() {
  local project="$1"
  (
    while true; do
      for c in $(podman ps -q --filter "label=com.docker.compose.project=$project" 2>/dev/null); do
        podman healthcheck run "$c" >/dev/null 2>&1 || true
      done
      sleep 2
    done
  ) &
  HEALTH_TICKER_PID=$!
}
stop_health_ticker() { [ -n "${HEALTH_TICKER_PID:-}" ] && kill "$HEALTH_TICKER_PID" 2>/dev/null; HEALTH_TICKER_PID=""; }

# Health of every container of a project: prints "name status" lines.
health_of() {
  podman ps -a --filter "label=com.docker.compose.project=$1" \
    --format '{{.Names}} {{if .Status}}{{.Status}}{{end}}'
}

# Waits until every running container of the project with a health check is healthy.
wait_healthy() { # project timeout-seconds
  local project="$1" limit="$2" started=$SECONDS bad
  while true; do
    bad=""
    for c in $(podman ps -a -q --filter "label=com.docker.compose.project=$project"); do
      local state health name
      state=$(podman inspect -f '{{.State.Status}}' "$c")
      health=$(podman inspect -f '{{if .State.Healthcheck}}{{.State.Healthcheck.Status}}{{end}}' "$c" 2>/dev/null)
      name=$(podman inspect -f '{{.Name}}' "$c")
      if [ "$state" != running ]; then
        # One-shot containers (seeders) may have exited 0; anything else is a failure.
        [ "$(podman inspect -f '{{.State.ExitCode}}' "$c")" = 0 ] || bad="$bad $name($state)"
      elif [ -n "$health" ] && [ "$health" != healthy ]; then
        bad="$bad $name($health)"
      fi
    done
    [ -z "$bad" ] && { say "$project: every container healthy after $((SECONDS - started)) s"; return 0; }
    if [ $((SECONDS - started)) -ge "$limit" ]; then say "$project: not healthy after ${limit} s:$bad"; return 1; fi
    sleep 2
  done
}
