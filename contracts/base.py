"""The base every contract model shares: immutable, strict about unknown fields and lax input."""

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from contracts.lax_input import find_lax_coercion


class Contract(BaseModel):
    """A message shape shared between services. Evolve additively: new optional fields only."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _refuse_lax_coercions(cls, data: Any) -> Any:
        # `true` for a number or `0` for a date is a mistake to report, not a value to guess.
        if isinstance(data, dict):
            for name, field in cls.model_fields.items():
                if name in data:
                    expected = find_lax_coercion(field.annotation, data[name])
                    if expected:
                        raise ValueError(f"{name}: expected {expected}")
        return data
