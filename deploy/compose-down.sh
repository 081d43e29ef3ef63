#!/usr/bin/env bash
# Stops and removes the stack's containers and network (deploy/compose-up.sh started them).
# Usage: bash deploy/compose-down.sh        keep the data (Kafka log, Prometheus TSDB)
#        bash deploy/compose-down.sh -v     drop the named volumes too
# Env: ENGINE (podman|docker), PODMAN_COMPOSE_HOME (where compose-up.sh installed podman-compose),
#      COMPOSE_PROJECT_NAME (the stack to stop; default the compose file's name, zero-waste-city).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${ENGINE:-podman}" = docker ]; then
  exec docker compose down "$@"
fi
exec "${PODMAN_COMPOSE_HOME:-/opt/zw-tools/podman-compose}/bin/podman-compose" down "$@"
