#!/usr/bin/env bash
# `pnpm containers:prepare`: makes a Docker-compatible engine ready on this machine kind
# (Debian bookworm, root, no systemd, no registry but Debian's and npm's) — see
# docs/operations.md#containers-with-docker-or-podman.
#
#   1. apt-installs podman, runc, debootstrap, docker-compose and CNI's dnsname plugin when missing;
#   2. writes containers.conf (three settings, each fixing an error seen here);
#   3. starts podman's Docker API socket (`podman system service`, no systemd);
#   4. builds the local base images the Dockerfile and Compose files are pointed at
#      (the official names stay the defaults there):
#        localhost/debian:bookworm          debootstrap minbase (rootfs tar cached)
#        localhost/node:20-bookworm-slim    the machine's own node, npm and pnpm
#        localhost/postgres:15-bookworm     Debian's postgresql-15, official-style entrypoint
#        localhost/nats:2.9-bookworm        Debian's nats-server
#      and, with --pgvector (or LUMIKB_PGVECTOR=1), localhost/debian:trixie and
#      localhost/postgres:17-pgvector (postgresql-17-pgvector, for the pgvector work).
#
# Each image carries a label with the hash of what it was built from; an image whose
# inputs are unchanged is kept, so a second run takes a second or two. Writes
# $LUMIKB_CONTAINERS_STATE/env (source it: CONTAINERS_CONF, DOCKER_HOST,
# TESTCONTAINERS_RYUK_DISABLED). Says plainly what it could not do, and exits non-zero then.
set -euo pipefail

STATE="${LUMIKB_CONTAINERS_STATE:-/var/lib/lumikb-containers}"
SOCKET="${LUMIKB_PODMAN_SOCKET:-/run/lumikb-podman.sock}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BASES="$HERE/bases"
PGVECTOR="${LUMIKB_PGVECTOR:-0}"
for arg in "$@"; do
  case "$arg" in
    --pgvector) PGVECTOR=1 ;;
    *) echo "usage: prepare.sh [--pgvector]" >&2; exit 2 ;;
  esac
done
started=$(date +%s)
say() { printf '[containers:prepare] %s\n' "$*" >&2; }
fail() { say "COULD NOT: $*"; exit 1; }
mkdir -p "$STATE"

# ---------------------------------------------------------------- 1. packages
missing=()
command -v podman >/dev/null || missing+=(podman)
command -v runc >/dev/null || missing+=(runc)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v docker-compose >/dev/null || missing+=(docker-compose)
# podman 4.3 uses CNI here: without the dnsname plugin, Compose networks have no
# service-name DNS (the services fail with "getaddrinfo ENOTFOUND postgres").
[ -x /usr/lib/cni/dnsname ] || missing+=(golang-github-containernetworking-plugin-dnsname)
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || fail "install ${missing[*]}: apt-get needs root (run as root or install them yourself)"
  say "installing ${missing[*]} with apt-get …"
  apt-get update -qq >/dev/null || fail "apt-get update failed (is Debian's mirror reachable?)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || fail "apt-get install ${missing[*]} failed"
fi
command -v docker >/dev/null || say "note: no docker CLI on PATH; podman and docker-compose still work through $SOCKET"

# ---------------------------------------------------------------- 2. containers.conf
cat > "$STATE/containers.conf" <<'CONF'
# Written by scripts/containers/prepare.sh; each setting fixes an error seen on our machines.
[containers]
# Raising limits above the machine's is not permitted here.
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
# crun fails: "cgroups in hybrid mode not supported".
runtime = "runc"
# No systemd.
cgroup_manager = "cgroupfs"
CONF
export CONTAINERS_CONF="$STATE/containers.conf"
export DOCKER_HOST="unix://$SOCKET"
cat > "$STATE/env" <<ENV
export CONTAINERS_CONF=$STATE/containers.conf
export DOCKER_HOST=unix://$SOCKET
export TESTCONTAINERS_RYUK_DISABLED=true
ENV

# ---------------------------------------------------------------- 3. Docker API socket
api_answers() { curl -fsS --max-time 3 --unix-socket "$SOCKET" http://d/_ping >/dev/null 2>&1; }
if ! api_answers; then
  rm -f "$SOCKET"
  say "starting podman's Docker API at $SOCKET (log: $STATE/podman-service.log)"
  setsid nohup podman system service --time=0 "unix://$SOCKET" >"$STATE/podman-service.log" 2>&1 < /dev/null &
  echo $! > "$STATE/podman-service.pid"
  for _ in $(seq 1 50); do api_answers && break; sleep 0.2; done
  api_answers || fail "podman system service did not answer on $SOCKET (see $STATE/podman-service.log)"
fi

# ---------------------------------------------------------------- 4. base images
label_of() { podman image inspect --format '{{ index .Labels "lumikb.inputs" }}' "$1" 2>/dev/null || true; }

# debootstrap once per suite; the rootfs tar is kept, so a cleared image store re-imports in seconds.
debian_image() {
  local suite="$1" image="localhost/debian:$1" mirror key tar
  mirror="$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
  mirror="${mirror:-http://deb.debian.org/debian}"
  key="$(printf 'debootstrap minbase %s %s %s' "$suite" "$mirror" "$(dpkg-query -W -f '${Version}' debootstrap)" | sha256sum | cut -c1-16)"
  [ "$(label_of "$image")" = "$key" ] && { say "$image is up to date"; return; }
  tar="$STATE/debian-$suite-$key.tar"
  if [ ! -s "$tar" ]; then
    say "debootstrap $suite from $mirror (about 1.5 min) …"
    local dir="$STATE/rootfs-$suite.tmp"
    rm -rf "$dir"
    debootstrap --variant=minbase "$suite" "$dir" "$mirror" >"$STATE/debootstrap-$suite.log" 2>&1 \
      || fail "debootstrap $suite failed (see $STATE/debootstrap-$suite.log)"
    rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
    tar -C "$dir" -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
    rm -rf "$dir"
  fi
  podman import -q --change "LABEL lumikb.inputs=$key" --change 'CMD ["/bin/bash"]' "$tar" "$image" >/dev/null \
    || fail "podman import of $tar failed"
  say "built $image"
}

# Builds $image from a Dockerfile in a context dir, unless its inputs' hash is unchanged.
build_base() {
  local image="$1" dockerfile="$2" context="$3"; shift 3
  local key
  # Inputs: the Dockerfile, the build args, the context's files (or BUILD_KEY_INPUTS, which
  # stands for a context CONTEXT_HOOK creates only when a build is needed), the base image.
  key="$( { cat "$dockerfile"; printf '%s\n' "$@";
            if [ -n "${BUILD_KEY_INPUTS:-}" ]; then echo "$BUILD_KEY_INPUTS"; else (cd "$context" && find . -type f -print0 | sort -z | xargs -0 sha256sum); fi;
            for a in "$@"; do case "$a" in DEBIAN_IMAGE=*) label_of "${a#DEBIAN_IMAGE=}";; esac; done; } \
          | sha256sum | cut -c1-16)"
  [ "$(label_of "$image")" = "$key" ] && { say "$image is up to date"; return; }
  say "building $image …"
  [ -n "${CONTEXT_HOOK:-}" ] && "$CONTEXT_HOOK"
  local args=()
  for a in "$@"; do args+=(--build-arg "$a"); done
  podman build -q --pull=never --label "lumikb.inputs=$key" "${args[@]}" -f "$dockerfile" -t "$image" "$context" \
    >"$STATE/build-${image//[\/:]/_}.log" 2>&1 \
    || fail "building $image failed (see $STATE/build-${image//[\/:]/_}.log)"
  say "built $image"
}

debian_image bookworm

# Node 20 from the machine itself (Debian's nodejs is 18, too old for us).
node_bin="$(command -v node)" || fail "no node on PATH to put into localhost/node:20-bookworm-slim"
case "$("$node_bin" --version)" in v20.*) ;; *) fail "node on PATH is $("$node_bin" --version), not 20.x" ;; esac
global="$(npm root -g)"
CA_BUNDLE="${LUMIKB_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
[ -s "$CA_BUNDLE" ] || fail "no CA bundle at $CA_BUNDLE for localhost/node:20-bookworm-slim (set LUMIKB_CA_BUNDLE)"
# Key from what goes in (binary hash, npm and pnpm versions): no copying when nothing changed.
node_key_inputs="$(sha256sum "$(readlink -f "$node_bin")" | cut -c1-64) ca $(sha256sum "$CA_BUNDLE" | cut -c1-64) npm $(npm --version) pnpm $(pnpm --version 2>/dev/null || echo none)"
node_ctx="$STATE/node-context"
prepare_node_context() {
  rm -rf "$node_ctx" && mkdir -p "$node_ctx"
  cp "$(readlink -f "$node_bin")" "$node_ctx/node"
  cp "$CA_BUNDLE" "$node_ctx/ca-certificates.crt"
  cp -R "$global/npm" "$node_ctx/npm"
  if [ -d "$global/pnpm" ]; then cp -R "$global/pnpm" "$node_ctx/pnpm"; else mkdir -p "$node_ctx/pnpm"; say "note: no global pnpm to copy; the image build installs it with npm"; fi
}
BUILD_KEY_INPUTS="$node_key_inputs" CONTEXT_HOOK=prepare_node_context \
  build_base localhost/node:20-bookworm-slim "$BASES/node.Dockerfile" "$node_ctx" DEBIAN_IMAGE=localhost/debian:bookworm
rm -rf "$node_ctx"

# Their key inputs: the entrypoint (the one context file they use) rather than the whole folder.
pg_inputs="$(sha256sum "$BASES/postgres-entrypoint.sh" | cut -c1-64)"
BUILD_KEY_INPUTS="$pg_inputs" build_base localhost/postgres:15-bookworm "$BASES/postgres.Dockerfile" "$BASES" DEBIAN_IMAGE=localhost/debian:bookworm
BUILD_KEY_INPUTS=none build_base localhost/nats:2.9-bookworm "$BASES/nats.Dockerfile" "$BASES" DEBIAN_IMAGE=localhost/debian:bookworm

if [ "$PGVECTOR" = 1 ]; then
  debian_image trixie
  BUILD_KEY_INPUTS="$pg_inputs" build_base localhost/postgres:17-pgvector "$BASES/postgres.Dockerfile" "$BASES" \
    DEBIAN_IMAGE=localhost/debian:trixie PG_MAJOR=17 "PG_PACKAGES=postgresql-17 postgresql-17-pgvector"
else
  say "skipped localhost/postgres:17-pgvector (trixie + postgresql-17-pgvector): pass --pgvector to build it (~3 min)"
fi

say "not available here: Qdrant, LiteLLM, Ollama, Grafana, Prometheus images (no registry) — the stacks use the test kit's fakes or leave them out"
say "ready in $(( $(date +%s) - started )) s; source $STATE/env"
