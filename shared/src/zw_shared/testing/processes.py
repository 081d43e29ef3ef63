"""Run a service as it is deployed: a separate process started from its console script,
ready when its health URL answers 200, stopped (SIGTERM, then SIGKILL) on exit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType


class ServiceFailedToStart(RuntimeError):
    pass


class ServiceProcess:
    def __init__(
        self,
        argv: list[str],
        env: dict[str, str],
        ready_url: str | None = None,
        ready_timeout_s: float = 60.0,
        name: str | None = None,
    ) -> None:
        self.argv = argv
        self.env = env
        self.ready_url = ready_url
        self.ready_timeout_s = ready_timeout_s
        self.name = name or argv[0]
        self._proc: subprocess.Popen[bytes] | None = None
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - lives as long as the process
            prefix=f"{Path(self.name).name}-", suffix=".log", delete=False
        )

    @property
    def log_path(self) -> str:
        return self._log.name

    @property
    def pid(self) -> int:
        assert self._proc is not None, "the process was not started"
        return self._proc.pid

    def cpu_seconds(self) -> float:
        """User + system CPU time the process has used so far (Linux /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def logs(self, tail: int = 60) -> str:
        text = Path(self._log.name).read_text(errors="replace")
        return "\n".join(text.splitlines()[-tail:])

    def start(self) -> ServiceProcess:
        argv = list(self.argv)
        bindir = Path(sys.executable).parent
        if (bindir / argv[0]).exists():  # console scripts of the running environment
            argv[0] = str(bindir / argv[0])
        self._proc = subprocess.Popen(
            argv,
            env={**os.environ, **self.env, "PYTHONUNBUFFERED": "1"},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if self.ready_url:
            try:
                self.wait_ready()
            except ServiceFailedToStart:
                self.stop()  # never leave an orphan behind a failed start
                raise
        return self

    def wait_ready(self) -> None:
        assert self.ready_url is not None
        deadline = time.monotonic() + self.ready_timeout_s
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise ServiceFailedToStart(
                    f"{self.name} exited with {self._proc.returncode}:\n{self.logs()}"
                )
            if _answers_ok(self.ready_url):
                return
            time.sleep(0.2)
        raise ServiceFailedToStart(
            f"{self.name} not ready after {self.ready_timeout_s}s:\n{self.logs()}"
        )

    def stop(self, timeout_s: float = 15.0) -> int | None:
        if self._proc is None or self._proc.poll() is not None:
            return None if self._proc is None else self._proc.returncode
        os.killpg(self._proc.pid, signal.SIGTERM)
        try:
            return self._proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self._proc.pid, signal.SIGKILL)
            return self._proc.wait(timeout_s)

    def kill(self) -> None:
        """Abrupt death (SIGKILL), as a crashed worker."""
        if self._proc is not None and self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait(10)

    def __enter__(self) -> ServiceProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _answers_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False
