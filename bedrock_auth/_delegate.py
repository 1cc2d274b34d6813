"""Attributes kept on another object of the instance's, declared in one line.

``region = Delegated[str]("_settings", "The default region.")`` reads ``self._settings.region``:
it replaces a property whose body only reads the same name there (and, with
:class:`SettableDelegated`, a setter that only writes it). The docstring is the attribute's.
"""

from __future__ import annotations

from typing import Any, Generic, NoReturn, TypeVar, overload

T = TypeVar("T")


class Delegated(Generic[T]):
    """A read-only attribute: the attribute of the same name on ``getattr(instance, holder)``."""

    def __init__(self, holder: str, doc: str) -> None:
        self._holder = holder
        self._name = ""
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, instance: None, owner: type) -> Delegated[T]: ...

    @overload
    def __get__(self, instance: object, owner: type) -> T: ...

    def __get__(self, instance: object, owner: type) -> Any:
        if instance is None:
            return self
        return getattr(getattr(instance, self._holder), self._name)

    def __set__(self, instance: object, value: NoReturn) -> None:
        # As a property without a setter: refused, not hidden by an instance attribute.
        raise AttributeError(f"{type(instance).__name__}.{self._name} cannot be set")


class SettableDelegated(Delegated[T]):
    """A delegated attribute that can also be set (on the holder)."""

    def __set__(self, instance: object, value: T) -> None:
        setattr(getattr(instance, self._holder), self._name, value)
