"""Batch routes: many reports in one request (JSON array, NDJSON, CSV upload), each item
answered on its own. A batch never fails as a whole for one bad item; if the broker fails
part-way, the answer is 503 and says item by item what was recorded and what was not."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from waste_intake import metrics
from waste_intake.entrypoints import batch_parsing as parsing
from waste_intake.entrypoints.deps import Deps, Facility, Flows
from waste_intake.entrypoints.examples import BATCH_EXAMPLES
from waste_intake.entrypoints.responses import FACILITY_AUTH_RESPONSES
from waste_intake.handlers.flows import FlowHandler
from waste_intake.handlers.outcomes import Accepted, Conflict, Rejected
from zw_shared.adapters.publisher import BrokerUnavailable

router = APIRouter(
    prefix="/v1/facilities/{facility_id}/events",
    tags=["waste-flow events"],
    responses=FACILITY_AUTH_RESPONSES,
)
JSON_TYPES = ("application/json",)
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl")


class ItemResult(BaseModel):
    index: int
    event_id: str | None = None
    status: Literal["accepted", "duplicate", "rejected", "conflict", "failed"]
    cloudevent_id: str | None = None
    partition: int | None = None
    offset: int | None = None
    errors: list[dict[str, str]] | None = None
    reason: str | None = None


class BatchResult(BaseModel):
    counts: dict[str, int]
    results: list[ItemResult]


async def _read_body(request: Request, deps: Deps) -> bytes:
    body = await request.body()
    if len(body) > deps.settings.max_batch_bytes:
        detail = f"a batch body is at most {deps.settings.max_batch_bytes} bytes"
        raise HTTPException(status_code=413, detail=detail)
    return body


async def _run(
    facility_id: str, items: list[Any], flows: FlowHandler, deps: Deps, kind: str
) -> JSONResponse:
    limit = deps.settings.max_batch_items
    if len(items) > limit:
        raise HTTPException(status_code=413, detail=f"a batch holds at most {limit} items")
    metrics.BATCH_SIZE.labels(kind).observe(len(items))
    parsed = parsing.parse_items(items)
    results = await asyncio.gather(*(_one(facility_id, i, p, flows) for i, p in enumerate(parsed)))
    counts = {
        s: sum(r.status == s for r in results)
        for s in ("accepted", "duplicate", "rejected", "conflict", "failed")
    }
    body = BatchResult(counts=counts, results=list(results)).model_dump(exclude_none=True)
    return JSONResponse(status_code=503 if counts["failed"] else 200, content=body)


async def _one(
    facility_id: str, index: int, item: parsing.Parsed, flows: FlowHandler
) -> ItemResult:
    if isinstance(item, list):
        return ItemResult(index=index, status="rejected", errors=[e.as_dict() for e in item])
    try:
        outcome = await flows.record(facility_id, item)
    except BrokerUnavailable as exc:
        return ItemResult(index=index, event_id=item.event_id, status="failed", reason=str(exc))
    if isinstance(outcome, Rejected):
        errors = [e.as_dict() for e in outcome.errors]
        return ItemResult(index=index, event_id=item.event_id, status="rejected", errors=errors)
    if isinstance(outcome, Conflict):
        return ItemResult(
            index=index, event_id=item.event_id, status="conflict", reason=outcome.reason
        )
    return _accepted(index, outcome)


def _accepted(index: int, outcome: Accepted) -> ItemResult:
    return ItemResult(
        index=index,
        event_id=outcome.event_id,
        status="duplicate" if outcome.duplicate else "accepted",
        cloudevent_id=outcome.cloudevent_id,
        partition=outcome.location.partition,
        offset=outcome.location.offset,
    )


BATCH_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "array", "items": {"$ref": "#/components/schemas/FlowReport"}},
                "examples": BATCH_EXAMPLES,
            },
            "application/x-ndjson": {"schema": {"type": "string"}, "example": "{...}\n{...}\n"},
        },
    }
}
CSV_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {
                "schema": {"type": "string"},
                "example": "event_id,stage,category,quantity,unit,occurred_at\n"
                "e-1,generated,household_wet,12.5,kg,2026-11-24T09:30:00+08:00\n",
            }
        },
    }
}
BATCH_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: {"description": "more items or bytes than the documented limits"},
    415: {"description": "neither JSON nor NDJSON"},
    422: {"description": "the body as a whole cannot be read"},
    503: {"model": BatchResult, "description": "the broker failed part-way: see `failed` items"},
}


@router.post(
    "/batch",
    summary="Report many flows: a JSON array or NDJSON (MAX_BATCH_ITEMS items, default 1000)",
    response_model=BatchResult,
    responses=BATCH_RESPONSES,
    openapi_extra=BATCH_DOC,
)
async def post_batch(
    facility_id: Facility, request: Request, flows: Flows, deps: Deps
) -> JSONResponse:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await _read_body(request, deps)
    try:
        if media in JSON_TYPES:
            return await _run(facility_id, parsing.from_json_array(body), flows, deps, "json")
        if media in NDJSON_TYPES:
            return await _run(facility_id, parsing.from_ndjson(body), flows, deps, "ndjson")
    except parsing.UnreadableBatch as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    raise HTTPException(
        status_code=415, detail="send application/json (an array) or application/x-ndjson"
    )


@router.post(
    "/csv",
    summary="Upload flows as CSV (header row of FlowReport field names; MAX_BATCH_ITEMS rows)",
    response_model=BatchResult,
    responses=BATCH_RESPONSES,
    openapi_extra=CSV_DOC,
)
async def post_csv(
    facility_id: Facility, request: Request, flows: Flows, deps: Deps
) -> JSONResponse:
    body = await _read_body(request, deps)
    try:
        items = parsing.from_csv(body)
    except parsing.UnreadableBatch as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    return await _run(facility_id, items, flows, deps, "csv")
