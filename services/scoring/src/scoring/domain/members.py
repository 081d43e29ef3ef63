"""Enum members read from and written to JSON states, without the enum machinery's cost
(``Kind(value)`` and ``.value`` run Python code: on the worker's path, for every key of
every state, that added up)."""

from __future__ import annotations

from enum import Enum
from typing import Any, TypeVar, cast

E = TypeVar("E", bound=Enum)


def member(kind: type[E], value: Any) -> E:
    """``kind(value)``: the same member, or the same error for a value that is none."""
    try:
        return cast(E, kind._value2member_map_[value])
    except (KeyError, TypeError):  # not a value (TypeError: unhashable): let Enum say why
        return kind(value)


def value_of(item: Enum) -> Any:
    """``item.value`` (``_value_`` is the attribute ``.value`` reads, through a descriptor)."""
    return item._value_
