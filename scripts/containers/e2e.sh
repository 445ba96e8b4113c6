#!/usr/bin/env bash
# `pnpm containers:e2e`: the whole container check in one command, non-zero on any failure:
#   prepare the engine (fast when prepared) → build the images → start the e2e stack
#   (docker-compose.e2e.yml + docker-compose.local.yml) → wait until every container is
#   healthy → image checks (non-root, /health and /ready in each service container) →
#   the Playwright suite from the host against the published gateway → the container
#   fault checks (faults.sh) → down.
# Counts go to $LUMIKB_RESULTS_FILE (JSON lines, as .ci/run's other stages) when set.
# Env: LUMIKB_CONTAINERS_PORT (gateway on 127.0.0.1, default 47080), E2E_SPEC (one spec
# file instead of the whole suite), LUMIKB_KEEP_STACK=1 (leave the stack up).
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/containers/lib.sh
. "$HERE/lib.sh"
cd "$REPO" || exit 1
PROJECT="${LUMIKB_CONTAINERS_PROJECT:-lumikb-e2e-containers}"
PORT="${LUMIKB_CONTAINERS_PORT:-47080}"
started=$SECONDS
passed=0 failed=0
COMPOSE=()
check() { # name, command...
  local name="$1"; shift
  if "$@"; then passed=$((passed + 1)); say "ok   $name"; else failed=$((failed + 1)); say "FAIL $name"; fi
}
record() { # suite passed failed
  [ -n "${LUMIKB_RESULTS_FILE:-}" ] && echo "{\"suite\":\"$1\",\"passed\":$2,\"failed\":$3,\"skipped\":0}" >> "$LUMIKB_RESULTS_FILE"
  return 0
}
finish() {
  stop_health_ticker
  if [ "${LUMIKB_KEEP_STACK:-0}" != 1 ] && [ ${#COMPOSE[@]} -gt 0 ]; then
    "${COMPOSE[@]}" logs --no-color >"$CONTAINERS_STATE/$PROJECT.log" 2>&1 || true
    "${COMPOSE[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
  fi
  record containers "$passed" "$failed"
  say "containers:e2e: $passed passed, $failed failed in $((SECONDS - started)) s"
  [ "$failed" -eq 0 ]
}
trap 'finish; exit $?' EXIT

[ -x "${E2E_CHROMIUM:-/usr/bin/chromium}" ] || say "no chromium at ${E2E_CHROMIUM:-/usr/bin/chromium}: the browser suite will fail (apt-get install chromium)"
# No engine is a failure, said plainly, never a skip (prepare.sh says what it could not do).
bash "$HERE/prepare.sh" || { failed=$((failed + 1)); say "FAIL container engine: pnpm containers:prepare could not make one ready (see above)"; exit 1; }
load_engine || { failed=$((failed + 1)); say "FAIL container engine: prepared, but its Docker API does not answer"; exit 1; }
t0=$SECONDS
check "images build (deploy/Dockerfile, base $NODE_IMAGE)" bash "$HERE/build-images.sh" e2e || exit 1
BUILD_S=$((SECONDS - t0))

# Secrets for this stack only, generated once per machine, never in the checkout.
ENV_FILE="$CONTAINERS_STATE/e2e.env"
[ -s "$ENV_FILE" ] || deploy/generate-env.sh "$ENV_FILE" >/dev/null || exit 1
set -a
# shellcheck disable=SC1090
. "$ENV_FILE"
set +a
export GATEWAY_PUBLISH_PORT="$PORT"
COMPOSE=(docker-compose -p "$PROJECT" --env-file "$ENV_FILE" -f docker-compose.e2e.yml -f docker-compose.local.yml)
"${COMPOSE[@]}" down -v --remove-orphans >/dev/null 2>&1 || true

start_health_ticker "$PROJECT"
t0=$SECONDS
"${COMPOSE[@]}" up -d --no-build >"$CONTAINERS_STATE/$PROJECT-up.log" 2>&1 \
  || { tail -30 "$CONTAINERS_STATE/$PROJECT-up.log" >&2; }
check "e2e stack: every container healthy" wait_healthy "$PROJECT" 300 || { health_of "$PROJECT" >&2; exit 1; }
UP_S=$((SECONDS - t0))

for s in "${SERVICE_NAMES[@]}"; do
  c="$("${COMPOSE[@]}" ps -q "$s")"
  check "$s runs as a non-root user" test "$(podman exec "$c" id -u)" != 0
  check "$s answers /health" podman exec "$c" node /app/healthcheck.mjs /health
  check "$s answers /ready" podman exec "$c" node /app/healthcheck.mjs /ready
  check "$s cannot write its code" podman exec "$c" sh -c '! touch /app/services/'"$s"'/.bundle/server.js 2>/dev/null'
done
check "gateway serves the web app" sh -c "curl -fsS http://127.0.0.1:$PORT/ | grep -qi '<div id=\"root\"'"

# The browser suite runs on the host (Debian's chromium) against the published gateway.
# Fakes a test starts on the host must be reachable from the containers.
t0=$SECONDS
e2e_log="$CONTAINERS_STATE/$PROJECT-playwright.log"
(
  export E2E_BASE_URL="http://127.0.0.1:$PORT" LUMIKB_FAKES_HOST=0.0.0.0 LUMIKB_FAKES_URL_HOST=host.containers.internal
  pnpm --filter @lumikb/e2e exec playwright test ${E2E_SPEC:-} 2>&1
) | tee "$e2e_log"
code=${PIPESTATUS[0]}
count() { grep -E "^ +[0-9]+ $1" "$e2e_log" | tail -1 | grep -oE '[0-9]+' | head -1; }
p=$(count passed); f=$(count failed); fl=$(count flaky)
p=$(( ${p:-0} + ${fl:-0} )); f=${f:-0}
[ "$code" -ne 0 ] && [ "$f" -eq 0 ] && f=1
record containers-e2e "$p" "$f"
[ "$f" -eq 0 ] && [ "$code" -eq 0 ] || failed=$((failed + 1))
E2E_S=$((SECONDS - t0))

t0=$SECONDS
COMPOSE_CMD="${COMPOSE[*]}" PROJECT="$PROJECT" PORT="$PORT" check "container faults (faults.sh)" bash "$HERE/faults.sh"
FAULTS_S=$((SECONDS - t0))

# The production file next (its own project and ports); the e2e stack goes down first.
if [ "${LUMIKB_KEEP_STACK:-0}" != 1 ]; then
  stop_health_ticker
  "${COMPOSE[@]}" logs --no-color >"$CONTAINERS_STATE/$PROJECT.log" 2>&1 || true
  "${COMPOSE[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
  COMPOSE=()
  t0=$SECONDS
  check "production file: refuses without secrets, healthy with them (prod-check.sh)" bash "$HERE/prod-check.sh"
  PROD_S=$((SECONDS - t0))
fi
say "times: build ${BUILD_S} s, up+healthy ${UP_S} s, browser suite ${E2E_S} s, faults ${FAULTS_S} s, production file ${PROD_S:-0} s"
