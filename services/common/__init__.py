"""Glue every Bocage service shares: settings, Redis, process pool, idempotency, events."""
