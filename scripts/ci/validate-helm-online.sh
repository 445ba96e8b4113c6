#!/usr/bin/env bash
# Chart validation that needs helm and kubeconform (run by the PR workflow, which
# installs both): helm lint --strict and helm template with every examples/*.yaml,
# each rendering checked by kubeconform against the Kubernetes schemas and, for the
# Prometheus Operator resources, the CRD schemas catalogue.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
chart="$root/deploy/helm/lumikb"
crds='https://raw.githubusercontent.com/datreeio/CRDs-catalog/main/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json'
for values in "$chart"/examples/*.yaml; do
  echo "== $(basename "$values")"
  helm lint --strict "$chart" -f "$values"
  helm template lumikb "$chart" --namespace lumikb -f "$values" \
    | kubeconform -strict -summary -kubernetes-version 1.29.0 \
        -schema-location default -schema-location "$crds"
done
echo "== defaults without credentials must be refused"
if helm template lumikb "$chart" >/dev/null 2>&1; then
  echo "helm template rendered the chart with no credentials at all" >&2
  exit 1
fi
