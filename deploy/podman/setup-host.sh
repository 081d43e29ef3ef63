#!/usr/bin/env bash
# Prepares a machine without a Docker engine (ours: Debian bookworm, root, no container
# registry) to run the tests and the compose stack with podman:
#   - installs podman + runc (+ busybox-static, used by the offline Kafka image),
#   - writes the containers.conf settings this host needs (runc, cgroupfs, file events,
#     ulimits no higher than the hard limit the sandbox allows),
#   - blocks public registries so that a missing image fails at once instead of hanging,
#   - starts podman's Docker-compatible API socket and prints the environment that points
#     testcontainers at it.
# Usage: eval "$(bash deploy/podman/setup-host.sh)"
# Idempotent: safe to run again.
set -euo pipefail

SOCK_DIR=${PODMAN_SOCK_DIR:-/run/zw-podman}
SOCK="$SOCK_DIR/podman.sock"

log() { echo "[setup-host] $*" >&2; }

install_packages() {
  local missing=()
  command -v podman >/dev/null || missing+=(podman)
  command -v runc >/dev/null || missing+=(runc)
  [ -x /bin/busybox ] || missing+=(busybox-static)
  command -v mvn >/dev/null || missing+=(maven)
  command -v jlink >/dev/null || missing+=(openjdk-17-jdk-headless)
  command -v curl >/dev/null || missing+=(curl)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
  fi
}

write_containers_conf() {
  local hard nofile
  hard=$(ulimit -Hn)
  nofile=$(( hard < 65536 ? hard : 65536 ))
  mkdir -p /etc/containers/registries.conf.d
  cat > /etc/containers/containers.conf <<CONF
# written by deploy/podman/setup-host.sh
[containers]
default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=16384:16384"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
  cat > /etc/containers/registries.conf.d/99-zw-offline.conf <<CONF
# No container registry is reachable from our machines: fail fast instead of hanging.
[[registry]]
location = "docker.io"
blocked = true

[[registry]]
location = "quay.io"
blocked = true

[[registry]]
location = "ghcr.io"
blocked = true
CONF
}

start_api_socket() {
  mkdir -p "$SOCK_DIR"
  if [ -S "$SOCK" ] && curl -sf --unix-socket "$SOCK" http://d/_ping >/dev/null 2>&1; then
    return
  fi
  rm -f "$SOCK"
  setsid podman system service --time=0 "unix://$SOCK" >"$SOCK_DIR/service.log" 2>&1 < /dev/null &
  for _ in $(seq 1 100); do
    curl -sf --unix-socket "$SOCK" http://d/_ping >/dev/null 2>&1 && return
    sleep 0.1
  done
  log "podman API socket did not come up; see $SOCK_DIR/service.log"
  exit 1
}

install_packages
write_containers_conf
start_api_socket
log "podman $(podman --version | awk '{print $3}') ready at $SOCK"
# testcontainers talks to podman through its Docker-compatible API. The reaper (Ryuk) image
# cannot be pulled here: tests clean up by the label org.testcontainers=true instead.
cat <<ENV
export DOCKER_HOST=unix://$SOCK
export TESTCONTAINERS_RYUK_DISABLED=true
export TC_HOST=127.0.0.1
export TESTCONTAINERS_CONNECTION_MODE=docker_host
ENV
