"""A small JSON-over-HTTP client for the simulator (standard library only): every request
that the broker or the node could not take (503, 504, a dropped connection) is sent again,
unchanged, a bounded number of times. That is safe because everything the simulator sends
carries its own id (event ids, assessment ids, Idempotency-Key)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

RETRYABLE = frozenset({502, 503, 504})


class UnexpectedAnswer(RuntimeError):
    """A service answered something the simulator did not plan for."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any


@dataclass(frozen=True)
class JsonClient:
    base_url: str
    timeout_s: float = 30.0
    attempts: int = 6
    backoff_s: float = 1.0

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Answer:
        for attempt in range(1, self.attempts + 1):
            try:
                answer = self._once(method, path, body, headers or {})
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if attempt == self.attempts:
                    raise
                answer = None
            if answer is not None and (answer.status not in RETRYABLE or attempt == self.attempts):
                return answer
            time.sleep(self.backoff_s * attempt)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def expect(
        self,
        method: str,
        path: str,
        statuses: tuple[int, ...],
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """The answer's body, when its status is one of ``statuses``."""
        answer = self.call(method, path, body, headers)
        if answer.status not in statuses:
            raise UnexpectedAnswer(
                f"{method} {self.base_url}{path} answered {answer.status}: {answer.body}"
            )
        return answer.body

    def _once(self, method: str, path: str, body: Any, headers: dict[str, str]) -> Answer:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.base_url.rstrip('/')}{path}", data=data, method=method
        )
        request.add_header("Content-Type", "application/json")
        for name, value in headers.items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                return Answer(response.status, _json(response.read()))
        except urllib.error.HTTPError as error:
            return Answer(error.code, _json(error.read()))


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return raw.decode(errors="replace")
