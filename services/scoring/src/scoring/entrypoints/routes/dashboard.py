"""The officials' dashboard: GET /dashboard serves one page (plain HTML, vanilla JS modules
and CSS packaged in ``scoring/dashboard``; no external resource), which reads the API
(rankings, city summary, a cell's score and history) and follows /v1/events/stream."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, RedirectResponse

router = APIRouter(include_in_schema=False)

ASSETS = Path(str(files("scoring") / "dashboard"))
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
# only what the page itself loads: same origin, no inline script, no third party
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def _asset(name: str) -> FileResponse:
    path = ASSETS / name
    media_type = MEDIA_TYPES.get(path.suffix)
    if media_type is None or not path.is_file():
        raise HTTPException(404, detail=f"no dashboard file {name!r}")
    return FileResponse(path, media_type=media_type, headers=SECURITY_HEADERS)


@router.get("/")
async def home() -> RedirectResponse:
    return RedirectResponse("/dashboard", status_code=307)


@router.get("/dashboard")
async def dashboard() -> FileResponse:
    return _asset("index.html")


@router.get("/dashboard/{name}")
async def dashboard_asset(name: str) -> FileResponse:
    """A file of the page (``name`` is one path segment: no way out of the folder)."""
    if "/" in name or name.startswith("."):
        raise HTTPException(404, detail=f"no dashboard file {name!r}")
    return _asset(name)
