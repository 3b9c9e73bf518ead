"""The synthetic data set of `manage.py generate_load --units N --tasks M`, at national scale, for the
benchmarks (`make bench`, loadtest/): 34 provinces, each with departments and communes; the commune criteria
sets of this year and the last; one annual plan per province (tasks the province assigns to its communes) and
one per commune (its own plan), all bound to this year's set; tasks over the year and every state; evidence
rows with metric values; two officials and a leader per unit. Rows go in with PostgreSQL's COPY
(bulk_create elsewhere): a million tasks in a few minutes.

- `data`: the declarations (shape, metric ranges, state draws, columns);
- `bulk`: `copy_rows`, the one fast write path;
- `org`: units and users; `plans`: criteria sets and plans; `tasks`: task and evidence rows;
- `build`: `load_generate`, the steps in order, then `steady_state` (VACUUM/ANALYZE) and `scores_compute`.
"""

from .build import Generated, load_generate, scores_compute, steady_state
from .bulk import copy_rows
from .data import MIN_UNITS

__all__ = ["MIN_UNITS", "Generated", "copy_rows", "load_generate", "scores_compute", "steady_state"]
