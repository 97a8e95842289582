"""The base every contract model shares: immutable, strict about unknown fields and lax input."""

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from contracts.lax_input import find_lax_coercion, may_be_lax

# Per contract, the fields a lax coercion could fit (computed once: most fields are text or
# nested models, and checking each of them on every validation was most of a 100,000-recipient
# campaign's CPU).
_LAX_FIELDS: dict[type, tuple[tuple[str, Any], ...]] = {}


class Contract(BaseModel):
    """A message shape shared between services. Evolve additively: new optional fields only."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _refuse_lax_coercions(cls, data: Any) -> Any:
        # `true` for a number or `0` for a date is a mistake to report, not a value to guess.
        if isinstance(data, dict):
            fields = _LAX_FIELDS.get(cls)
            if fields is None:
                fields = _LAX_FIELDS[cls] = tuple(
                    (name, field.annotation)
                    for name, field in cls.model_fields.items()
                    if may_be_lax(field.annotation)
                )
            for name, annotation in fields:
                if name in data:
                    expected = find_lax_coercion(annotation, data[name])
                    if expected:
                        raise ValueError(f"{name}: expected {expected}")
        return data
