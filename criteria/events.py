"""Domain events of criteria sets, for the apps above (scoring) to react to.

`criteria` imports none of them. `criteria_set_import` sends `criteria_set_imported` once its transaction
has committed; scoring's receiver queues the set's first computation. There is no outbox here, as there was
none before the import moved out of scoring: a receiver that fails (the broker is down) is logged, and the
nightly reconciliation (`scoring.reconcile_all`) scores every set.
"""

from __future__ import annotations

from django.dispatch import Signal

# sender: CriteriaSet; kwargs: criteria_set (the CriteriaSet just imported, committed)
criteria_set_imported = Signal()
