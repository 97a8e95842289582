"""The event handlers of every service, read from the service classes themselves."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any, NamedTuple

from nameko.events import EventHandler

import services


def service_classes() -> list[type]:
    """Every nameko service class in `services.<name>.service` (a class with a name and
    entrypoints; mixins imported as modules are not picked up, as with `nameko run`)."""
    found = []
    for module_info in pkgutil.iter_modules(services.__path__):
        try:
            module = importlib.import_module(f"services.{module_info.name}.service")
        except ModuleNotFoundError:
            continue
        for _, cls in inspect.getmembers(module, inspect.isclass):
            named = isinstance(getattr(cls, "name", None), str)
            if cls.__module__ == module.__name__ and named and _entrypoints(cls):
                found.append(cls)
    return sorted(found, key=lambda c: c.name)


def _entrypoints(cls: type) -> list[Any]:
    return [
        entrypoint
        for _, member in inspect.getmembers(cls)
        for entrypoint in getattr(member, "nameko_entrypoints", ())
    ]


class Handler(NamedTuple):
    method_name: str
    source_service: str
    event_type: str


def event_handlers(cls: type) -> list[Handler]:
    """The class's event handlers (its mixins' included), sorted by method name."""
    return sorted(
        Handler(name, entrypoint.source_service, entrypoint.event_type)
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        for entrypoint in getattr(member, "nameko_entrypoints", ())
        if isinstance(entrypoint, EventHandler)
    )
