#!/usr/bin/env bash
# Fails when a file in the repository (tracked, or new and not ignored) holds a
# credential; prints file:line with the value masked. See tools/ci/src/secret-scan.ts
# for the rules and how to allow a deliberate test value.
#   scripts/ci/secret-scan.sh [files...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
exec "$root/node_modules/.bin/tsx" tools/ci/src/secret-scan.ts "$@"
