"""One registry helper for string-addressable choices (``"scaffold"``, ``"qed"``, ...)."""

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Map plain names to objects, with an error that lists the valid choices.

    Examples
    --------
    >>> splits = Registry("split")
    >>> @splits.register("random")
    ... def random_split(n): ...
    >>> splits.get("random") is random_split
    True
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def add(obj: T) -> T:
            key = name.lower()
            if key in self._items:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            self._items[key] = obj
            return obj

        return add

    def get(self, name: str) -> T:
        try:
            return self._items[name.lower()]
        except (KeyError, AttributeError):
            choices = ", ".join(sorted(self._items))
            raise ValueError(f"unknown {self.kind} {name!r}; choose one of: {choices}") from None

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
