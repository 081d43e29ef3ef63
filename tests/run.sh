#!/usr/bin/env bash
# Runs every check and every test: lint, format, types, the AsyncAPI document's currency,
# then unit, integration (real Apache Kafka via testcontainers) and end-to-end tests.
# The README's test command. Needs uv, and a container engine testcontainers can reach:
# Docker, or podman prepared by deploy/podman/setup-host.sh (.ci/run does that).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s\n' "$*"; }

step "install the locked environment"
uv sync --all-packages --frozen --quiet

step "lint (ruff) and format check"
uv run --frozen ruff check .
uv run --frozen ruff format --check .

step "type check (mypy --strict)"
uv run --frozen mypy

step "AsyncAPI document is current"
uv run --frozen zw-asyncapi --check

# tests/deployed builds the images (deploy/build-images.sh) and starts docker-compose.yml
# itself, beside anything else running; `-m "not deployed"` leaves it out.
step "tests: unit, integration (real Kafka broker via testcontainers), end-to-end, deployed stack"
uv run --frozen pytest tests -p no:cacheprovider --durations=15 "$@"
