"""The bodies of the node API's refusals, as its OpenAPI document declares them: a reason
(authentication, the node, the broker), the owner's verdict (which rule, and why), or the
fields a request got wrong (FastAPI's validation)."""

from __future__ import annotations

from pydantic import BaseModel


class Refusal(BaseModel):
    error: str | None
    reason: str | None


class FieldProblem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    detail: str | Refusal | list[FieldProblem]
