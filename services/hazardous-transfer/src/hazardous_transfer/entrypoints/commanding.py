"""Sending a command to the node that owns the record, and turning its verdict into an HTTP
answer: success only once the owner recorded the events and the broker acknowledged them;
a broken rule is the owner's 4xx with its reason; no verdict in time is 504 (retry with
the same Idempotency-Key: a command is carried out once)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Callable
from typing import Any

from fastapi import HTTPException, Response
from pydantic import BaseModel

from hazardous_transfer.adapters.worker_client import WorkerAnswer, WorkerUnreachable
from hazardous_transfer.bootstrap import ApiDeps
from hazardous_transfer.domain.visibility import Reader
from hazardous_transfer.entrypoints.access import Document, Scope, must_see
from hazardous_transfer.entrypoints.deps import Actor
from zw_shared.adapters.publisher import BrokerUnavailable
from zw_shared.contracts import wrap
from zw_shared.contracts.hazardous_commands import CommandName, TransferCommandIssued
from zw_shared.topics import HAZARDOUS_COMMANDS

Scoping = Callable[[Document], Scope]
RETRY_SOON = {"Retry-After": "1"}


class Verdict(BaseModel):
    command_id: str
    record_id: str | None
    event_types: tuple[str, ...]


def command_id(deps: ApiDeps, actor: Actor) -> str:
    if actor.idempotency_key:
        return f"{deps.settings.node_id}:{actor.actor_id}:{actor.idempotency_key}"
    return f"{deps.settings.node_id}:{uuid.uuid4().hex}"


def derived_id(prefix: str, cmd_id: str) -> str:
    """A record id that a retried command (same command id) derives again."""
    return prefix + hashlib.sha256(cmd_id.encode()).hexdigest()[:16].upper()


async def send_command(
    deps: ApiDeps,
    actor: Actor,
    name: CommandName,
    target: str,
    owner_province: str,
    payload: BaseModel | None = None,
    cmd_id: str | None = None,
) -> Verdict:
    cmd = TransferCommandIssued(
        command_id=cmd_id or command_id(deps, actor),
        name=name,
        target=target,
        owner_province=owner_province,
        actor_id=actor.actor_id,
        role=actor.role,
        actor_province=actor.province,
        issued_at=actor.at,
        reply_to=deps.settings.node_id,
        payload=payload.model_dump(mode="json") if payload is not None else {},
    )
    return await _await_verdict(deps, cmd)


async def _await_verdict(deps: ApiDeps, cmd: TransferCommandIssued) -> Verdict:
    if not deps.verdicts.ready:
        raise HTTPException(503, "not connected to the broker's verdicts yet")
    envelope = wrap(cmd, event_id=cmd.command_id, source=f"hazardous-transfer/{cmd.reply_to}",
                    time=cmd.issued_at, subject=cmd.target)  # fmt: skip
    waiting = deps.verdicts.expect(cmd.command_id)
    topic = deps.settings.topic(HAZARDOUS_COMMANDS.name)
    try:
        await deps.publisher.publish(topic, cmd.target, envelope)
        verdict = await asyncio.wait_for(waiting, deps.settings.command_timeout_s)
    except BrokerUnavailable as exc:
        raise HTTPException(503, f"the command was not sent: {exc}") from None
    except TimeoutError:
        raise HTTPException(
            504,
            f"no verdict on command {cmd.command_id} within {deps.settings.command_timeout_s}s;"
            " retry with the same Idempotency-Key",
        ) from None
    finally:
        deps.verdicts.forget(cmd.command_id)
    if not verdict.accepted:
        detail = {"error": verdict.error_code, "reason": verdict.message}
        raise HTTPException(verdict.http_status or 422, detail)
    return Verdict(command_id=cmd.command_id, record_id=verdict.record_id,
                   event_types=verdict.event_types)  # fmt: skip


async def read_record(deps: ApiDeps, path: str, params: dict[str, Any] | None = None) -> Any:
    """A record (or a search) from this node's worker tables."""
    return json.loads((await _from_worker(deps, path, params)).body)


async def pass_record(deps: ApiDeps, path: str, params: dict[str, Any] | None = None) -> Response:
    """The worker's answer as it is: the JSON is neither parsed nor written again here."""
    answer = await _from_worker(deps, path, params)
    return Response(answer.body, media_type="application/json")


async def pass_visible(
    deps: ApiDeps, path: str, reader: Reader, scope: Scoping, what: str
) -> Response:
    """The worker's record as it is, if ``reader`` may see it (403 otherwise)."""
    answer = await _from_worker(deps, path, None)
    must_see(reader, scope(json.loads(answer.body)), what)
    return Response(answer.body, media_type="application/json")


async def read_visible(deps: ApiDeps, path: str, reader: Reader, scope: Scoping, what: str) -> Any:
    """A record (parsed), if ``reader`` may see it (403 otherwise)."""
    record = await read_record(deps, path)
    must_see(reader, scope(record), what)
    return record


async def _from_worker(deps: ApiDeps, path: str, params: dict[str, Any] | None) -> WorkerAnswer:
    try:
        answer = await deps.worker.get(path, params=params)
    except WorkerUnreachable as exc:
        detail = f"the node's worker does not answer: {exc}"
        raise HTTPException(503, detail, RETRY_SOON) from None
    if answer.status != 200:
        # 503 while the worker restores its records: "not found" would not be the truth yet
        retry = {"Retry-After": answer.retry_after} if answer.retry_after else None
        raise HTTPException(answer.status, _detail(answer.body), retry)
    return answer


def _detail(body: bytes) -> Any:
    try:
        return json.loads(body).get("detail")
    except (ValueError, AttributeError):
        return body.decode(errors="replace")[:500]
