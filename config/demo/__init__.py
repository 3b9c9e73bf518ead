"""The demo data set of `manage.py load_demo` (SPEC §6): a Yên Bái-style province with departments, Yên Bái
city with its wards and communes and a neighbouring district, officials, leaders and an appraiser with known
demo logins; the 2019 and 2020 commune criteria sets (and one for the current year, so reminders are live);
plan 36/KH-UBND on administrative discipline and the annual CCHC plan, each issued by the city and by Trấn Yên
for their own communes, and a provincial plan for every commune, with tasks in every state and evidence files.
Everything goes through the services, so the history, the outbox and the scores are what real use would make.

- `data`: the declarations (units, names, task titles, metric ranges, fates, default logins);
- `context`: `Demo`, what every step shares (the seeded random source, today, calendar, org, sets);
- `org`: units and users; `plans`: the plans; `tasks`: one task through its fate, the current year's tasks;
- `scores`: criteria sets, the past years (tasks, survey, appraisals) and the final recompute;
- `round`: the assessment rounds: 2019's published by a decision, 2020's open for self-assessment;
- `build`: `demo_load`, the steps in order.
"""

from .build import demo_load
from .data import DEFAULT_LOGINS, PASSWORD
from .scores import scores_recompute_all

__all__ = ["DEFAULT_LOGINS", "PASSWORD", "demo_load", "scores_recompute_all"]
