"""The floors: what the database alone needs to produce the same rows as the real paths, hand-written.

- `reminders_floor_insert`: one INSERT … SELECT that writes the very ledger rows one planning cycle writes
  (same task, recipient, kind, due date, offset, plan, title and body): the reminder policy, the recipients
  and the Vietnamese texts, all in SQL, with the working calendar given as a table of working-day numbers.
- `scores_floor_counts`: one aggregate query giving every unit's linked-task counts on a criteria set (the
  counts the full recompute reads), in one go instead of per batch.

They exist to be timed next to the real paths in the same run, and their rows are compared with the real
paths' rows by `tests/benchmarks/test_bench.py`. They cover what the benchmark data set uses: the global
reminder policy (no per-plan policy), recipients reading Vietnamese, no email or webhook deliveries.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection

from notifications.policy import VN_TZ, ReminderPolicy, in_sending_window
from org.calendar import get_calendar

CAL_TABLE = "bench_working_days"


def calendar_table(first: dt.date, last: dt.date) -> None:
    """(Re)create the temporary table of days `first`..`last`: for each day `nidx`, the number of the first
    working day on or after it (working days are numbered 1, 2, 3, … in order), from the project's calendar
    (holidays, the admin's days off and working Saturdays)."""
    calendar = get_calendar()
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    working = [calendar.is_working_day(d) for d in days]
    number, numbers = 0, []
    for is_working in working:
        number += is_working
        numbers.append(number)
    rows, following = [], None
    for day, is_working, n in zip(reversed(days), reversed(working), reversed(numbers), strict=True):
        if is_working:
            following = n
        rows.append((day, following))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {CAL_TABLE}")
        cursor.execute(f"CREATE TEMPORARY TABLE {CAL_TABLE} (day date PRIMARY KEY, nidx int)")
        with cursor.cursor.copy(f"COPY {CAL_TABLE} (day, nidx) FROM STDIN") as copy:
            for row in rows:
                if row[1] is not None:
                    copy.write_row(row)
        cursor.execute(f"ANALYZE {CAL_TABLE}")


def _calendar_span(now: dt.datetime) -> tuple[dt.date, dt.date]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(least(start_date, effective_due_date, (assigned_at AT TIME ZONE %s)::date)) "
            "FROM tasks_task WHERE state IN ('assigned', 'in_progress', 'returned')",
            [str(VN_TZ)],
        )
        (first,) = cursor.fetchone()
    today = now.astimezone(VN_TZ).date()
    first = min(first or today, today) - dt.timedelta(days=30)
    return first, today + dt.timedelta(days=800)


REMINDERS_SQL = """
WITH t AS (
    SELECT k.id, k.plan_id, k.title, k.progress, k.lead_id, k.assignee_unit_id,
           k.effective_due_date AS eff, p.owner_unit_id, p.number AS plan_number, p.title AS plan_title,
           u.name AS unit_name, dc.nidx AS d, ac.nidx AS a1, sc.nidx AS s,
           (k.lead_id IS NOT NULL AND EXISTS (
               SELECT 1 FROM org_user lu WHERE lu.id = k.lead_id AND lu.is_active)) AS lead_active
    FROM tasks_task k
    JOIN plans_plan p ON p.id = k.plan_id
    JOIN org_unit u ON u.id = k.assignee_unit_id
    JOIN {cal} dc ON dc.day = k.effective_due_date
    LEFT JOIN {cal} ac ON ac.day = (k.assigned_at AT TIME ZONE %(tz)s)::date + 1
    LEFT JOIN {cal} sc ON sc.day = coalesce(k.start_date, (k.assigned_at AT TIME ZONE %(tz)s)::date)
    WHERE k.state IN ('assigned', 'in_progress', 'returned') AND k.effective_due_date IS NOT NULL
), steps AS (
    SELECT t.*,
        -- newest before-due reminder: the smallest offset whose day has come, after the assignment day
        CASE {before_due} END AS bd,
        -- at-risk midpoint (working-day number) of a long enough task, behind on progress
        CASE WHEN t.s IS NOT NULL AND t.d - t.s + 1 >= %(ar_len)s AND t.progress < %(ar_below)s
                  AND t.s + (t.d - t.s + 1) / 2 <= %(today)s
                  AND (t.a1 IS NULL OR t.s + (t.d - t.s + 1) / 2 >= t.a1)
             THEN t.s + (t.d - t.s + 1) / 2 END AS ar,
        CASE WHEN %(today)s - t.d >= %(od_first)s
             THEN %(od_first)s + ((%(today)s - t.d - %(od_first)s) / %(od_every)s) * %(od_every)s END AS od,
        CASE WHEN %(today)s - t.d >= %(es_first)s
             THEN %(es_first)s + ((%(today)s - t.d - %(es_first)s) / %(es_every)s) * %(es_every)s END AS es
    FROM t
), due AS (
    SELECT steps.*, r.kind, r.off, r.stream
    FROM steps CROSS JOIN LATERAL (VALUES
        (CASE WHEN od IS NOT NULL THEN 'overdue'
              WHEN ar IS NOT NULL AND (bd IS NULL OR ar >= d - bd) THEN 'at_risk'
              WHEN bd IS NOT NULL THEN 'due_' || bd END,
         CASE WHEN od IS NOT NULL THEN -od
              WHEN ar IS NOT NULL AND (bd IS NULL OR ar >= d - bd) THEN d - ar
              ELSE bd END,
         'reminder'),
        (CASE WHEN es IS NOT NULL THEN 'escalation' END, -es, 'escalation')
    ) AS r(kind, off, stream)
    WHERE r.kind IS NOT NULL
      -- what the ledger already has is not planned again (as the planner's candidate query does)
      AND NOT EXISTS (
          SELECT 1 FROM notifications_notification n
          WHERE n.task_id = steps.id AND n.event_id IS NULL AND n.due_date = steps.eff
            AND n.kind = r.kind AND n."offset" = r.off)
), people AS (
    SELECT due.*, m.user_id AS recipient_id
    FROM due CROSS JOIN LATERAL (
        SELECT due.lead_id AS user_id WHERE due.stream = 'reminder' AND due.lead_active
        UNION
        SELECT mm.user_id FROM org_membership mm JOIN org_user mu ON mu.id = mm.user_id AND mu.is_active
        WHERE mm.unit_id = due.assignee_unit_id
          AND ((due.stream = 'reminder' AND NOT due.lead_active AND mm.role = 'official')
               OR (due.kind = 'overdue' AND mm.role = 'leader'))
        UNION
        SELECT mm.user_id FROM org_membership mm JOIN org_user mu ON mu.id = mm.user_id AND mu.is_active
        WHERE due.stream = 'escalation' AND mm.unit_id = due.owner_unit_id AND mm.role = 'leader'
    ) AS m
)
INSERT INTO notifications_notification
    (recipient_id, kind, task_id, plan_id, title, body, due_date, "offset", event_id, created_at)
SELECT recipient_id, kind, id, plan_id,
    left('[' || CASE WHEN kind = 'escalation' THEN 'Báo cáo lãnh đạo' ELSE 'Nhắc việc' END || '] '
         || title || ' — ' ||
         CASE WHEN kind = 'due_0' THEN 'đến hạn hôm nay'
              WHEN kind LIKE 'due\\_%%' THEN off || ' ngày làm việc trước hạn'
              WHEN kind = 'at_risk'
                   THEN 'có nguy cơ trễ hạn: đã qua nửa thời gian, còn ' || off || ' ngày làm việc'
              WHEN kind = 'overdue' THEN 'quá hạn ' || -off || ' ngày làm việc'
              ELSE 'báo cáo lãnh đạo: quá hạn ' || -off || ' ngày làm việc' END, 500),
    'Nhiệm vụ: ' || title || E'\\n' ||
    'Kế hoạch: ' || plan_number || ' — ' || plan_title || E'\\n' ||
    'Đơn vị thực hiện: ' || unit_name || E'\\n' ||
    'Hạn hoàn thành: ' || to_char(eff, 'DD/MM/YYYY') || E'\\n' ||
    CASE WHEN kind = 'at_risk' THEN 'Đã qua nửa thời gian thực hiện, tiến độ mới đạt ' || progress
                                    || '%%; còn ' || off || ' ngày làm việc đến hạn.'
         WHEN off > 0 THEN 'Còn ' || off || ' ngày làm việc đến hạn.'
         WHEN off = 0 THEN 'Hôm nay là ngày đến hạn.'
         ELSE 'Đã quá hạn ' || -off || ' ngày làm việc.' END || E'\\n' ||
    'Xem nhiệm vụ: ' || %(site)s || '/tasks/' || id || '/',
    eff, off, NULL, %(now)s
FROM people
ON CONFLICT (task_id, recipient_id, kind, due_date, "offset") WHERE event_id IS NULL DO NOTHING
"""


def reminders_floor_prepare(now: dt.datetime) -> None:
    """Build the calendar table the floor reads (not part of the timed statement: it is the calendar,
    which the real path also holds in memory)."""
    calendar_table(*_calendar_span(now))


def reminders_floor_sql(*, now: dt.datetime, policy: ReminderPolicy | None = None) -> tuple[str, dict] | None:
    """The floor's statement and parameters for a cycle at `now` (None outside the sending window)."""
    from notifications import selectors

    base, overrides = selectors.reminder_policies()
    policy = policy or base
    if overrides:
        raise ValueError("the floor covers the global policy only: the bench data has no per-plan policy")
    if not in_sending_window(now, policy, get_calendar()):
        return None
    today = now.astimezone(VN_TZ).date()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT nidx FROM {CAL_TABLE} WHERE day = %s", [today])
        (today_n,) = cursor.fetchone()
    before_due = " ".join(
        f"WHEN t.d - {k} <= %(today)s AND (t.a1 IS NULL OR t.d - {k} >= t.a1) THEN {k}"
        for k in sorted(policy.before_offsets)
    )
    sql = REMINDERS_SQL.format(cal=CAL_TABLE, before_due=before_due or "WHEN false THEN 0")
    params = {
        "tz": str(VN_TZ),
        "today": today_n,
        "ar_len": policy.at_risk_min_length,
        "ar_below": policy.at_risk_progress_below,
        "od_first": policy.overdue_first,
        "od_every": policy.overdue_every,
        "es_first": policy.escalation_first,
        "es_every": policy.escalation_every,
        "site": settings.SITE_URL.rstrip("/"),
        "now": now,
    }
    return sql, params


def reminders_floor_insert(*, now: dt.datetime, policy: ReminderPolicy | None = None) -> int:
    """Plan, in one INSERT … SELECT, the reminders due at `now` under the global policy, as
    `notifications.services.reminders_plan` would; returns the rows inserted. Needs
    `reminders_floor_prepare(now)` first, in the same connection."""
    statement = reminders_floor_sql(now=now, policy=policy)
    if statement is None:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(*statement)
        return cursor.rowcount


SCORES_SQL = """
SELECT k.assignee_unit_id, k.criterion_code, p.owner_unit_id <> k.assignee_unit_id AS higher,
       count(*) FILTER (WHERE k.state = 'approved' AND {on_time}) AS on_time,
       count(*) FILTER (WHERE k.state = 'approved' AND NOT {on_time}) AS late,
       count(*) FILTER (WHERE k.state <> 'approved' AND k.effective_due_date < %(today)s) AS overdue,
       count(*) FILTER (WHERE k.state <> 'approved'
                        AND (k.effective_due_date >= %(today)s OR k.effective_due_date IS NULL)) AS pending
FROM tasks_task k
JOIN plans_plan p ON p.id = k.plan_id
JOIN org_unit u ON u.id = k.assignee_unit_id
WHERE p.criteria_set_id = %(cs)s AND u.kind = %(kind)s AND k.state NOT IN ('draft', 'cancelled')
GROUP BY 1, 2, 3
""".format(
    on_time="(k.effective_due_date IS NULL OR (k.submitted_at IS NOT NULL "
    "AND k.effective_due_date >= (k.submitted_at AT TIME ZONE %(tz)s)::date))"
)


def scores_floor_counts(*, criteria_set, today: dt.date) -> list[tuple]:
    """Every scored unit's linked-task counts on the set, grouped by unit, criterion code and whether the
    plan's owner is another unit: (unit id, code, by higher, on time, late, overdue, pending). One query."""
    with connection.cursor() as cursor:
        cursor.execute(
            SCORES_SQL,
            {"cs": criteria_set.pk, "kind": criteria_set.unit_kind, "today": today, "tz": str(VN_TZ)},
        )
        return cursor.fetchall()
