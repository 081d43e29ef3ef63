"""The authorisation matrix's vocabulary and its runner: the outcome each caller expects
of an endpoint, the request a probe sends, and the checks of one answer (the expected class,
a challenge on every 401, no secret of others in any answer)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from functools import partial
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx
from authorisation_stack import TAG, Caller, World


class Outcome(Enum):
    OK = "2xx"
    ADMITTED = "past authorisation (2xx, or 404/409/422 from the rules)"
    INVALID = "422"
    UNAUTHENTICATED = "401"
    FORBIDDEN = "403"

    def matches(self, status: int) -> bool:
        match self:
            case Outcome.OK:
                return 200 <= status < 300
            case Outcome.ADMITTED:
                return 200 <= status < 300 or status in (404, 409, 422)
        return status == int(self.value)


OK, ADMITTED, INVALID = Outcome.OK, Outcome.ADMITTED, Outcome.INVALID
UNAUTHENTICATED, FORBIDDEN = Outcome.UNAUTHENTICATED, Outcome.FORBIDDEN
KEY_HOLDERS = ("facility", "other_facility", "admin", "anonymous")
TOKEN_HOLDERS = ("shipper", "carrier", "receiver", "stranger",
                 "official_31", "official_32", "official_33", "official_34")  # fmt: skip
CALLERS = KEY_HOLDERS + TOKEN_HOLDERS
Expect = dict[str, Outcome]
Key = tuple[str, str]  # (method, path template)


def public() -> Expect:
    return dict.fromkeys(CALLERS, OK)


def own_facility() -> Expect:
    """waste-intake: the facility itself; another facility's key is 403; else 401."""
    return dict.fromkeys(CALLERS, UNAUTHENTICATED) | {"facility": OK, "other_facility": FORBIDDEN}


def admin_only() -> Expect:
    return dict.fromkeys(CALLERS, UNAUTHENTICATED) | {"admin": OK}


def tokens(**allowed: Outcome) -> Expect:
    """Token holders named get their outcome, other token holders 403; no token 401."""
    unknown = set(allowed) - set(TOKEN_HOLDERS)
    assert not unknown, f"not token holders: {unknown}"
    return dict.fromkeys(KEY_HOLDERS, UNAUTHENTICATED) | {
        name: allowed.get(name, FORBIDDEN) for name in TOKEN_HOLDERS
    }


@dataclass(frozen=True)
class Request:
    paths: Mapping[str, str] = field(default_factory=dict)  # path values of this probe
    params: Mapping[str, str] = field(default_factory=dict)
    json: Any = None
    content: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


Send = Callable[[World, Caller], Request]


@dataclass(frozen=True)
class Probe:
    expect: Expect
    send: Send = lambda world, caller: Request()


def body(value: Any) -> Send:
    return lambda world, caller: Request(json=value)


IDS = itertools.count()


def fresh(make: Callable[[str], Any]) -> Send:
    """A body with a new id on every call (so a write never repeats an earlier one)."""
    return lambda world, caller: Request(json=make(f"mx-{TAG}-{next(IDS)}"))


@dataclass(frozen=True)
class Secrets:
    """What only the entitled callers may see in an answer (besides what they sent)."""

    markers: frozenset[str]
    entitled: frozenset[str]


@dataclass(frozen=True)
class Answer:
    status: int
    challenged: bool  # carries WWW-Authenticate
    text: str


def a_client(base_url: str) -> httpx.Client:
    """A client that keeps no cookie: each call stands alone (no session carried over)."""
    jar = CookieJar(DefaultCookiePolicy(allowed_domains=[]))
    return httpx.Client(base_url=base_url, timeout=60, cookies=jar)


def call(client: httpx.Client, method: str, path: str, request: Request) -> Answer:
    build = client.build_request(
        method,
        path.format_map(request.paths),
        params=request.params,
        json=request.json,
        content=request.content,
        headers=dict(request.headers),
    )
    response = client.send(build, stream=True)
    try:
        live = response.headers.get("content-type", "").startswith("text/event-stream")
        text = "" if live else response.read().decode(errors="replace")  # a stream: not read
        return Answer(response.status_code, "www-authenticate" in response.headers, text)
    finally:
        response.close()


def problems(
    client: httpx.Client, secrets: Secrets, world: World, caller: Caller, key: Key, probe: Probe
) -> list[str]:
    method, path = key
    sent = probe.send(world, caller)
    request = Request({**world.paths, **sent.paths}, sent.params, sent.json, sent.content,
                      {**caller.headers, **sent.headers})  # fmt: skip
    answer = call(client, method, path, request)
    expected = probe.expect[caller.name]
    where = f"{method} {path} as {caller.name}: {answer.status}"
    found: list[str] = []
    if not expected.matches(answer.status):
        found.append(f"{where}, expected {expected.value}: {answer.text[:300]}")
    if answer.status == 401 and not answer.challenged:
        found.append(f"{where} without a WWW-Authenticate challenge")
    found += [f"{where} shows {secret!r}" for secret in leaked(secrets, caller, request, answer)]
    return found


def leaked(secrets: Secrets, caller: Caller, request: Request, answer: Answer) -> list[str]:
    """Secrets in an answer to a caller not entitled to them, or in any refusal (what the
    caller sent itself, and its own ids, do not count)."""
    if caller.name in secrets.entitled and answer.status not in (401, 403):
        return []
    sent = f"{request.paths} {request.params} {request.json} {request.content}"
    return [s for s in sorted(secrets.markers - caller.own) if s in answer.text and s not in sent]


def probe_everyone(pool: ThreadPoolExecutor, client: httpx.Client, secrets: Secrets,
                   world: World, key: Key, probe: Probe) -> list[str]:  # fmt: skip
    """The denied callers first (together), then the allowed: an allowed write must not
    change what a denial would see."""
    denied = [c for c in CALLERS if probe.expect[c] in (UNAUTHENTICATED, FORBIDDEN)]
    allowed = [c for c in CALLERS if c not in denied]
    found: list[str] = []
    for group in (denied, allowed):
        callers = [world.callers[name] for name in group]
        check = partial(problems, client, secrets, world, key=key, probe=probe)
        for result in pool.map(check, callers):
            found += result
    return found
