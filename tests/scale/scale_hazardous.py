"""A hazardous-transfer province node on the cluster: two workers (one active, one standby)
and an API that knows both. The manifests are driven by the fault tests' driver
(tests/faults/faults_hazardous.py: clients that retry each command with its
Idempotency-Key), which also signs the callers' tokens with the test secret the services
started here inherit."""

from __future__ import annotations

import sys
from pathlib import Path

from scale_support import api_url, process

from zw_shared.testing.processes import ServiceProcess

sys.path.insert(0, str(Path(__file__).parents[1] / "faults"))
from faults_hazardous import Manifests, manifests_through

__all__ = ["Manifests", "manifests_through", "transfer_node"]


def transfer_node(env: dict[str, str], prefix: str, datadir: Path) -> list[ServiceProcess]:
    """Two workers of one node (Jiangsu and Shanghai) and its API, not started."""
    node = {
        **env,
        "NODE_ID": "scale",
        "SERVED_PROVINCES": "31,32",
        "HAZARDOUS_APP_ID": f"{prefix}hazardous",
        "COMMAND_TIMEOUT_S": "4",
        # the broker's minimum: the standby takes a dead worker's node over after this
        "WORKER_SESSION_TIMEOUT_S": "6",
    }
    workers = [
        process(f"transfer-worker-{n}", "hazardous-transfer-worker",
                {**node, "WORKER_DATA_DIR": str(datadir / f"transfer-{n}")}, "WORKER_WEB_PORT")
        for n in (1, 2)
    ]  # fmt: skip
    api_env = {**node, "WORKER_URL": ",".join(api_url(worker) for worker in workers)}
    api = process("transfer-api", "hazardous-transfer-api", api_env, "API_PORT")
    return [*workers, api]
