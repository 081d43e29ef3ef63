#!/usr/bin/env bash
# Starts the whole stack of docker-compose.yml on a machine like ours (Debian, root, no Docker
# engine, no container registry) and waits until every container is healthy:
#   1. deploy/podman/setup-host.sh  (podman, runc, containers.conf, registries blocked)
#   2. podman-compose 1.6.0 from PyPI into a tool venv (PODMAN_COMPOSE_HOME)
#   3. deploy/build-images.sh        (every image, offline; ZW_SKIP_BUILD=1 skips it)
#   4. kafka + prometheus -> kafka healthy -> topic-init exits 0 -> APIs, workers and the lag
#      exporter healthy. Grafana (compose profile `observability`, an image from a registry) is
#      not started here: with a registry, `podman-compose --profile observability up -d grafana`.
# Step 4 is ordered here rather than by podman-compose: Debian's podman 4.3 cannot wait for
# `service_healthy` (podman-compose skips that condition below podman 4.6), runs no
# healthchecks by itself without systemd, and fails to start a container whose `--requires`
# chain is two deep. So the script starts each stage with `--no-deps`, runs the compose file's
# own healthchecks (`podman healthcheck run`) until they pass, and checks topic-init's exit
# code. With Docker (ENGINE=docker) it is simply `docker compose up -d --wait`.
#
# Usage: bash deploy/compose-up.sh          stop: podman-compose down   (add -v to drop data)
# Env: ENGINE (podman|docker), ZW_SKIP_BUILD=1, ZW_WAIT_S (default 240), PODMAN_COMPOSE_HOME,
#      COMPOSE_PROJECT_NAME (default zero-waste-city), ZW_COMPOSE_LOG,
#      ZW_SMOKE=1 (then run deploy/compose-smoke.py: one flow from POST to score).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ENGINE=${ENGINE:-podman}
WAIT_S=${ZW_WAIT_S:-240}
PC_VERSION=1.6.0
PC_HOME=${PODMAN_COMPOSE_HOME:-/opt/zw-tools/podman-compose}
# COMPOSE_PROJECT_NAME runs a second stack beside the first (its own containers, network and
# volumes; podman-compose and docker compose read it too). Move its host ports with the
# *_HOST_PORT variables of docker-compose.yml.
PROJECT=${COMPOSE_PROJECT_NAME:-zero-waste-city}
export COMPOSE_PROJECT_NAME=$PROJECT
LOG=${ZW_COMPOSE_LOG:-/var/tmp/zw-compose-up.log}
SERVICES=(waste-intake-api waste-intake-worker scoring-api scoring-worker
  hazardous-transfer-api hazardous-transfer-worker lag-exporter)
ENDPOINTS=("http://127.0.0.1:${WASTE_INTAKE_HOST_PORT:-8001}/healthz"
  "http://127.0.0.1:${SCORING_HOST_PORT:-8002}/healthz"
  "http://127.0.0.1:${HAZARDOUS_TRANSFER_HOST_PORT:-8003}/healthz"
  "http://127.0.0.1:${PROMETHEUS_HOST_PORT:-9090}/-/ready")

log() { echo "[compose-up] $*" >&2; }
cd "$ROOT"

if [ "$ENGINE" = docker ]; then
  [ "${ZW_SKIP_BUILD:-0}" = 1 ] || ENGINE=docker bash deploy/build-images.sh
  docker compose up -d --wait --wait-timeout "$WAIT_S"
  [ "${ZW_SMOKE:-0}" != 1 ] || python3 "$ROOT/deploy/compose-smoke.py"
  exit 0
fi

install_podman_compose() {
  if "$PC_HOME/bin/podman-compose" --version 2>/dev/null | grep -q "podman-compose version $PC_VERSION"; then
    return
  fi
  log "installing podman-compose==$PC_VERSION into $PC_HOME"
  python3 -m venv "$PC_HOME" 2>/dev/null || {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >&2
    python3 -m venv "$PC_HOME"
  }
  "$PC_HOME/bin/pip" install --quiet "podman-compose==$PC_VERSION"
}

compose() { "$PC_HOME/bin/podman-compose" "$@" >>"$LOG" 2>&1 || fail "podman-compose $* failed"; }

container_of() {
  podman ps -a --filter "label=io.podman.compose.project=$PROJECT" \
    --filter "label=com.docker.compose.service=$1" --format '{{.Names}}' | head -1
}

fail() {
  log "$1; last log lines of ${2:-the stack}:"
  if [ -n "${2:-}" ]; then podman logs --tail 30 "$2" >&2; else tail -30 "$LOG" >&2; fi
  exit 1
}

wait_healthy() {  # wait_healthy SERVICE...: runs each container's healthcheck until it passes
  local deadline=$((SECONDS + WAIT_S)) service name
  for service in "$@"; do
    name=$(container_of "$service")
    [ -n "$name" ] || fail "no container for $service"
    until podman healthcheck run "$name" >/dev/null 2>&1; do
      [ "$(podman inspect -f '{{.State.Running}}' "$name")" = true ] || fail "$service stopped" "$name"
      [ $SECONDS -lt $deadline ] || fail "$service not healthy after ${WAIT_S}s" "$name"
      sleep 1
    done
    log "$service healthy (+$((SECONDS - started))s)"
  done
}

run_topic_init() {
  local name code since
  since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  compose up -d --no-deps topic-init
  name=$(container_of topic-init)
  code=$(timeout "$WAIT_S" podman wait "$name") || fail "topic-init did not finish" "$name"
  [ "$code" = 0 ] || fail "topic-init exited with $code" "$name"
  podman logs --since "$since" "$name" 2>/dev/null | grep -E '^(created|updated|unchanged) ' | sed 's/^/[topic-init] /' >&2
}

: >"$LOG"
began=$SECONDS
host_env=$(bash deploy/podman/setup-host.sh)  # (a failure stops here, unlike inside eval)
eval "$host_env"
install_podman_compose
if [ "${ZW_SKIP_BUILD:-0}" != 1 ]; then
  build_began=$SECONDS
  bash deploy/build-images.sh
  log "images ready in $((SECONDS - build_began))s"
fi

started=$SECONDS
log "starting $PROJECT (podman-compose output: $LOG)"
compose up -d --no-deps kafka prometheus
wait_healthy kafka
run_topic_init
log "topics provisioned (+$((SECONDS - started))s)"
compose up -d --no-deps "${SERVICES[@]}"
wait_healthy "${SERVICES[@]}" prometheus
log "stack healthy in $((SECONDS - started))s (whole script: $((SECONDS - began))s)"
for url in "${ENDPOINTS[@]}"; do
  printf '[compose-up] %-32s %s\n' "$url" "$(curl -s -o /dev/null -w '%{http_code}' "$url")" >&2
done
# ZW_SMOKE=1: also push one waste flow through the stack (POST -> Kafka -> score -> GET).
[ "${ZW_SMOKE:-0}" != 1 ] || python3 "$ROOT/deploy/compose-smoke.py"
