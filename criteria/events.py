"""Domain events of criteria sets, for the apps above (scoring) to react to.

`criteria` imports none of them. `criteria_set_import` sends `criteria_set_imported` once its transaction
has committed; scoring's receiver queues the set's first computation. There is no outbox here, as there was
none before the import moved out of scoring: a receiver that fails (the broker is down) is logged, and the
nightly reconciliation (`scoring.reconcile_all`) scores every set.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.dispatch import Signal

# sender: CriteriaSet; kwargs: criteria_set (the CriteriaSet just imported, committed)
criteria_set_imported = Signal()


# --- The assessment round (SPEC §3a) -------------------------------------------------------------------
# The round lives in scoring; its reminders go through notifications' ledger. Neither app imports the
# other: scoring sends these, with plain values, and notifications' receivers plan the notices.


@dataclass(frozen=True)
class RoundTarget:
    """Whom a round deadline concerns now: the leaders of one scored unit (`recipient_ids`) that still owes
    something before `deadline` (a local date, the end of that working day).

    kind: `self_assessment_due` (its self-assessment is not submitted) or `explanation_due` (a leaf
    appraised below its own points awaits its answer)."""

    criteria_set_id: int
    unit_id: int
    kind: str
    deadline: dt.date
    recipient_ids: tuple[int, ...]


@dataclass(frozen=True)
class RoundPublication:
    """A published version of a set's results, for the leaders of each scored unit (`recipients`: unit id →
    user ids)."""

    criteria_set_id: int
    version: int
    decision_number: str
    decided_on: dt.date
    recipients: dict[int, tuple[int, ...]] = field(default_factory=dict)


# sender: CriteriaSet; kwargs: targets (list[RoundTarget]: every open round deadline's debtors, as of `now`),
# now (aware datetime). Sent by scoring's round cycle every 15 minutes; the receiver decides, by its
# reminder policy (7, 3, 1, 0 working days before the self-assessment deadline; 3, 1, 0 before the
# explanation deadline; 08:00 on working days), which are due and plans each once.
round_deadlines = Signal()

# sender: CriteriaSet; kwargs: publication (RoundPublication), now. Sent after the publication committed.
round_published = Signal()
