#!/bin/sh
# Build-stage helper of the services image: installs uv, then syncs the workspace's locked,
# non-dev dependencies into /opt/venv. Trusts /build-ca/ca.pem when the build host gave one.
set -eu
if [ -s /build-ca/ca.pem ]; then
  export SSL_CERT_FILE=/build-ca/ca.pem PIP_CERT=/build-ca/ca.pem
fi
if [ "${1:-}" = install-uv ]; then
  python3 -m venv /opt/uv
  /opt/uv/bin/pip install --no-cache-dir --quiet "uv==$2"
  exit 0
fi
exec /opt/uv/bin/uv sync --frozen --no-dev --all-packages --python python3 "$@"
