#!/usr/bin/env bash
# Offline validation of the Helm chart (Helm itself is not installable here): values
# (defaults and every examples/*.yaml) against values.schema.json, template structure
# and .Values references, copies of alerts and dashboards, and yamllint on the chart's
# non-template files. The GitHub workflow adds helm lint, helm template and
# kubeconform (scripts/ci/validate-helm-online.sh).
#   scripts/ci/validate-helm.sh [chart-dir]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
chart="${1:-$root/deploy/helm/lumikb}"
cd "$root"
status=0
# validate-deploy.sh passes the validators it has just bundled; alone, this runs the source.
if [[ -n "${LUMIKB_CI_BUNDLE:-}" && -f "$LUMIKB_CI_BUNDLE/check-helm.js" ]]; then
  node "$LUMIKB_CI_BUNDLE/check-helm.js" "$chart" || status=1
else
  "$root/node_modules/.bin/tsx" tools/ci/src/check-helm.ts "$chart" || status=1
fi
mapfile -t files < <(find "$chart" -path "$chart/templates" -prune -o -type f \( -name '*.yaml' -o -name '*.yml' \) -print | sort)
if yamllint -c scripts/ci/yamllint.yml "${files[@]}"; then
  echo "yamllint: ok (${#files[@]} chart files)"
else
  status=1
fi
exit "$status"
