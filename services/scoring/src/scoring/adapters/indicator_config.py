"""Loads an indicator system from a YAML file, validated at start-up: a bad file stops the
service with a message naming the file and every field that is wrong."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from scoring.domain.indicators.system import IndicatorSystem

DEFAULT_SYSTEM = "shanghai-cells-v1.yaml"


class IndicatorSystemError(ValueError):
    pass


def load_indicator_system(path: Path | None = None) -> IndicatorSystem:
    """The system in ``path``, or the packaged default when ``path`` is None."""
    if path is None:
        text = resources.files("scoring.indicator_systems").joinpath(DEFAULT_SYSTEM).read_text()
        return parse_indicator_system(text, DEFAULT_SYSTEM)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise IndicatorSystemError(f"cannot read indicator system {path}: {exc}") from exc
    return parse_indicator_system(text, str(path))


def parse_indicator_system(text: str, origin: str) -> IndicatorSystem:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise IndicatorSystemError(f"{origin} is not valid YAML: {exc}") from exc
    if not isinstance(document, dict):
        raise IndicatorSystemError(f"{origin} must hold a mapping at the top level")
    try:
        return IndicatorSystem.model_validate(document)
    except ValidationError as exc:
        raise IndicatorSystemError(
            f"{origin} is not a valid indicator system:\n{_lines(exc)}"
        ) from exc


def _lines(exc: ValidationError) -> str:
    return "\n".join(
        f"  {'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}"
        for err in exc.errors(include_url=False)
    )
