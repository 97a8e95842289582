"""The base every contract model shares: immutable, strict about unknown fields."""

from pydantic import BaseModel, ConfigDict


class Contract(BaseModel):
    """A message shape shared between services. Evolve additively: new optional fields only."""

    model_config = ConfigDict(frozen=True, extra="forbid")
