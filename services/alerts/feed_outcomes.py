"""What a caller sees of an ingest's outcomes: the whole tenant for its dispatchers and admins;
for a mayor, only their own communes among those an alert was drafted for.

Pure. An alert drafted for other communes of the territory reads, for a mayor none of whose
communes it concerns, as not concerning them; it does not say which communes it went to.
"""

from __future__ import annotations

from contracts.feeds import FeedIngestRecord, FeedItemOutcome
from contracts.identity import Caller


def as_seen_by(record: FeedIngestRecord, caller: Caller) -> FeedIngestRecord:
    if caller.tenant_wide:
        return record
    return record.model_copy(
        update={"outcomes": tuple(_narrow(o, caller) for o in record.outcomes)}
    )


def _narrow(item: FeedItemOutcome, caller: Caller) -> FeedItemOutcome:
    if item.outcome not in ("drafted", "no_change"):
        return item
    theirs = tuple(code for code in item.communes if caller.reaches_commune(code))
    if theirs:
        return item.model_copy(update={"communes": theirs})
    return item.model_copy(
        update={
            "outcome": "not_concerned",
            "why": "area_outside",
            "reason": "concerne d'autres communes du territoire, pas les vôtres",
            "communes": (),
        }
    )
