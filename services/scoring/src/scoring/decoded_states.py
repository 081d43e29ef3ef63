"""The decoded form of the states a store holds, for the keys the ledger touched last: a
cell changed in batch after batch is decoded once, not once a batch (decoding a month's
state cost more than all the changes a batch makes to it).

A held value is only used for the very state object it was decoded from (or written as):
a store value that anyone else replaced (a changelog recovery, a repair) is decoded again.
Holding the state keeps it alive, so its identity cannot be reused by another object."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class DecodedStates(Generic[T]):
    def __init__(self, decode: Callable[[Any], T], size: int) -> None:
        if size < 0:
            raise ValueError("size must not be negative")
        self._decode = decode
        self._size = size
        self._held: OrderedDict[str, tuple[Any, T]] = OrderedDict()

    def get(self, store: Mapping[str, Any], key: str) -> T | None:
        """The decoded state of ``key`` in ``store``; None if it has none (or an empty one)."""
        state = store.get(key)
        if not state:
            return None
        held = self._held.get(key)
        if held is not None and held[0] is state:
            self._held.move_to_end(key)
            return held[1]
        value = self._decode(state)
        self.put(key, state, value)
        return value

    def put(self, key: str, state: Any, value: T) -> None:
        """``value`` is what ``state`` (just written to the store) decodes to."""
        held = self._held
        held[key] = (state, value)
        held.move_to_end(key)
        while len(held) > self._size:
            held.popitem(last=False)

    def clear(self) -> None:
        self._held.clear()

    def __len__(self) -> int:
        return len(self._held)
