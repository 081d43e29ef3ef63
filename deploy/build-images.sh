#!/usr/bin/env bash
# Builds every image docker-compose.yml names, with podman (default) or Docker:
#   - the Apache Kafka broker (deploy/kafka/build-image.sh),
#   - localhost/zw-services:TAG: the whole uv workspace installed from uv.lock; each service
#     container runs one console script (waste-intake-api, scoring-worker, zw-provision-topics, ...),
#   - localhost/zw-prometheus:TAG: Prometheus from Debian's `prometheus` package.
#
# Base images. BASE_SOURCE=registry (default with ENGINE=docker) uses the official
# python:3.11-slim-bookworm and debian:bookworm-slim from a registry. BASE_SOURCE=offline
# (default with podman: our machines reach no container registry) makes them without any
# registry: a Debian bookworm root filesystem from debootstrap (--variant=minbase) imported
# with `podman import`, then python3 (3.11 on bookworm) installed from Debian's packages
# inside a build. Python packages come from PyPI, exactly as pinned (with hashes) in uv.lock.
#
# Usage: bash deploy/build-images.sh            (podman, offline bases)
#        ENGINE=docker bash deploy/build-images.sh
#        bash deploy/build-images.sh prometheus (only localhost/zw-prometheus and its base: what
#                                                the alert-rule tests run promtool from)
# The broker image is the official apache/kafka of deploy/kafka/VERSION: pulled when
# KAFKA_SOURCE=registry (default: as BASE_SOURCE), else built offline by deploy/kafka/build-image.sh.
# Env: ENGINE, BASE_SOURCE, KAFKA_SOURCE, ZW_IMAGE_TAG (default dev), DEBIAN_MIRROR, ZW_BUILD_DIR,
#      FORCE_BASE=1 (rebuild the offline base images even if present).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
ENGINE=${ENGINE:-podman}
TAG=${ZW_IMAGE_TAG:-dev}
if [ "$ENGINE" = docker ]; then BASE_SOURCE=${BASE_SOURCE:-registry}; else BASE_SOURCE=${BASE_SOURCE:-offline}; fi
# The broker: the official image where a registry is reachable, else built offline.
KAFKA_SOURCE=${KAFKA_SOURCE:-$BASE_SOURCE}
BUILD_DIR=${ZW_BUILD_DIR:-/var/tmp/zw-image-build}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SERVICES_IMAGE=localhost/zw-services:$TAG
PROMETHEUS_IMAGE=localhost/zw-prometheus:$TAG
OFFLINE_DEBIAN=localhost/zw-debian:bookworm
OFFLINE_PYTHON=localhost/zw-python:3.11-bookworm

log() { echo "[build-images] $*" >&2; }
timed() {  # timed LABEL CMD...: runs CMD and logs how long it took
  local label=$1 began=$SECONDS
  shift
  "$@"
  log "$label took $((SECONDS - began))s"
}

build() {  # build IMAGE CONTAINERFILE CONTEXT [build args...]
  local image=$1 file=$2 context=$3
  shift 3
  local opts=()
  # podman: never pull (no registry is reachable); host network for apt/PyPI inside the build.
  [ "$ENGINE" = podman ] && opts+=(--pull=never --network host)
  # (the ${opts[@]+...} form keeps bash 3.2 on macOS happy with an empty array under set -u)
  "$ENGINE" build ${opts[@]+"${opts[@]}"} "$@" -t "$image" -f "$file" "$context" >&2
}

image_exists() {
  if [ "$ENGINE" = podman ]; then podman image exists "$1"; else docker image inspect "$1" >/dev/null 2>&1; fi
}

# Debian bookworm root filesystem -> base image, without any registry.
offline_debian_base() {
  if [ "${FORCE_BASE:-0}" != 1 ] && image_exists "$OFFLINE_DEBIAN"; then
    log "$OFFLINE_DEBIAN already present"
    return
  fi
  command -v debootstrap >/dev/null || {
    log "installing debootstrap"
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2
  }
  local rootfs="$BUILD_DIR/rootfs"
  rm -rf "$rootfs" && mkdir -p "$rootfs"
  log "debootstrap --variant=minbase bookworm from $DEBIAN_MIRROR"
  debootstrap --variant=minbase bookworm "$rootfs" "$DEBIAN_MIRROR" >"$BUILD_DIR/debootstrap.log" 2>&1 \
    || { tail -20 "$BUILD_DIR/debootstrap.log" >&2; exit 1; }
  printf 'Types: deb\nURIs: %s\nSuites: bookworm bookworm-updates\nComponents: main\n' \
    "$DEBIAN_MIRROR" >"$rootfs/etc/apt/sources.list.d/debian.sources"
  rm -f "$rootfs/etc/apt/sources.list"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | "$ENGINE" import \
    --change 'CMD ["/bin/bash"]' --change 'ENV LANG=C.UTF-8' - "$OFFLINE_DEBIAN" >&2
  rm -rf "$rootfs"
}

offline_python_base() {
  if [ "${FORCE_BASE:-0}" != 1 ] && image_exists "$OFFLINE_PYTHON"; then
    log "$OFFLINE_PYTHON already present"
    return
  fi
  build "$OFFLINE_PYTHON" "$HERE/images/python/Containerfile" "$HERE/images/python" \
    --build-arg "DEBIAN_BASE=$OFFLINE_DEBIAN"
}

# The workspace's files (tracked or new, not ignored); without git, every file but caches.
workspace_files() {
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -co --exclude-standard -- pyproject.toml uv.lock shared services
  else
    find pyproject.toml uv.lock shared services -type f \
      ! -path '*/.*' ! -name '*.pyc' ! -path '*.egg-info/*'
  fi
}

# A clean build context: the workspace's manifests (dependency layer) and its sources.
stage_workspace() {
  local ctx="$BUILD_DIR/services-context"
  rm -rf "$ctx" && mkdir -p "$ctx/manifests" "$ctx/workspace"
  (cd "$ROOT" && workspace_files | grep -v -E '(^|/)(tests?|__pycache__)/' \
      | while read -r f; do [ -f "$f" ] && echo "$f"; done \
      | tar -c -T - | tar -C "$ctx/workspace" -x)
  (cd "$ctx/workspace" && find . -name pyproject.toml -o -name uv.lock | tar -c -T - | tar -C "$ctx/manifests" -x)
  cp "$HERE/images/services/Containerfile" "$ctx/Containerfile"
  install -m 0755 "$HERE/images/services/uv-sync.sh" "$ctx/uv-sync.sh"
  # A TLS-inspecting proxy between us and PyPI (as on our machines) needs the host's CA
  # bundle inside the build stage: BUILD_CA_BUNDLE, default $SSL_CERT_FILE when set.
  mkdir -p "$ctx/build-ca" && : >"$ctx/build-ca/ca.pem"
  local bundle=${BUILD_CA_BUNDLE:-${SSL_CERT_FILE:-}}
  if [ -n "$bundle" ] && [ -r "$bundle" ]; then cp "$bundle" "$ctx/build-ca/ca.pem"; fi
  echo "$ctx"
}

build_prometheus() {  # build_prometheus DEBIAN_BASE
  timed "$PROMETHEUS_IMAGE" build "$PROMETHEUS_IMAGE" "$HERE/images/prometheus/Containerfile" \
    "$HERE/prometheus" --build-arg "DEBIAN_BASE=$1"
}

main() {
  local began=$SECONDS python_base debian_base ctx only=${1:-all}
  case "$only" in all | prometheus) ;; *) log "unknown image set '$only' (all or prometheus)"; exit 2 ;; esac
  mkdir -p "$BUILD_DIR"
  log "engine $ENGINE, base images from: $BASE_SOURCE, tag $TAG, images: $only"
  if [ "$only" = prometheus ]; then
    [ "$BASE_SOURCE" != offline ] || timed "debian base ($OFFLINE_DEBIAN)" offline_debian_base
    [ "$BASE_SOURCE" = offline ] && debian_base=$OFFLINE_DEBIAN || debian_base=docker.io/library/debian:bookworm-slim
    build_prometheus "$debian_base"
    log "prometheus image built in $((SECONDS - began))s"
    return
  fi
  if [ "$KAFKA_SOURCE" = offline ]; then
    timed "kafka image" env ENGINE="$ENGINE" bash "$HERE/kafka/build-image.sh"
  else
    timed "kafka image" "$ENGINE" pull "docker.io/apache/kafka:$(cat "$HERE/kafka/VERSION")" >&2
  fi
  if [ "$BASE_SOURCE" = offline ]; then
    timed "debian base ($OFFLINE_DEBIAN)" offline_debian_base
    timed "python base ($OFFLINE_PYTHON)" offline_python_base
    python_base=$OFFLINE_PYTHON debian_base=$OFFLINE_DEBIAN
  else
    python_base=docker.io/library/python:3.11-slim-bookworm
    debian_base=docker.io/library/debian:bookworm-slim
  fi
  ctx=$(stage_workspace)
  timed "$SERVICES_IMAGE" build "$SERVICES_IMAGE" "$ctx/Containerfile" "$ctx" \
    --build-arg "PYTHON_BASE=$python_base"
  build_prometheus "$debian_base"
  log "all images built in $((SECONDS - began))s"
  "$ENGINE" images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E 'zw-|apache/kafka' >&2 || true
}

main "$@"
