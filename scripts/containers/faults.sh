#!/usr/bin/env bash
# Container fault checks against the running e2e stack (see faults.ts); e2e.sh runs it.
# Env: PROJECT (compose project), PORT (published gateway port), LUMIKB_ADMIN_* (from the env file).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/containers/lib.sh
. "$HERE/lib.sh"
load_engine
FAULTS_PROJECT="${PROJECT:-lumikb-e2e-containers}" FAULTS_BASE_URL="http://127.0.0.1:${PORT:-47080}" \
  pnpm exec tsx "$HERE/faults.ts"
