"""Writes for units, users and the calendar.

- `units`: adding and changing a unit (`unit_create`, `unit_update`), its materialised path and its
  subtree's when it moves;
- `units_import`: units from a CSV file (`units_import_csv`, `ImportResult`): every row checked first, then
  the writes in bulk, level by level of the tree;
- `users`: users and their memberships (`user_create`, `membership_add`, `membership_remove`), what changed
  on a user for the audit trail (`USER_AUDITED`, `user_changes`), their interface language;
- `calendar_days`: overrides of the national calendar (`calendar_day_set`, `calendar_day_remove`).

Callers import the services from here. To patch one in a test, patch the module that defines and calls
it (e.g. `org.services.calendar_days.calendar_changed`): a name set on this package changes nobody's
globals.
"""

from .calendar_days import calendar_day_remove, calendar_day_set
from .units import unit_create, unit_update
from .units_import import ImportResult, units_import_csv
from .users import (
    USER_AUDITED,
    membership_add,
    membership_remove,
    user_changes,
    user_create,
    user_set_language,
)

__all__ = [
    "USER_AUDITED",
    "ImportResult",
    "calendar_day_remove",
    "calendar_day_set",
    "membership_add",
    "membership_remove",
    "unit_create",
    "unit_update",
    "units_import_csv",
    "user_changes",
    "user_create",
    "user_set_language",
]
