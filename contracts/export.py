"""Write one JSON Schema file per contract model (`bocage contracts export DIR`)."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import contracts
from contracts.base import Contract


def all_models() -> dict[str, type[Contract]]:
    """Every public contract model, by class name."""
    found: dict[str, type[Contract]] = {}
    for name in contracts.__all__:
        obj = getattr(contracts, name)
        if inspect.isclass(obj) and issubclass(obj, Contract) and obj is not Contract:
            found[name] = obj
    return dict(sorted(found.items()))


def export_schemas(directory: Path) -> list[Path]:
    """Write `<Model>.schema.json` for each model into `directory`; return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in all_models().items():
        path = directory / f"{name}.schema.json"
        schema = model.model_json_schema()
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
    return written
