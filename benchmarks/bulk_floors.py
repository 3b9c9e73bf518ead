"""The floors of the bulk part (`benchmarks/bulk.py`, issue 15): for each bulk path, the single statement the
database needs for the same rows, hand-written as data-modifying CTEs: the task rows (`INSERT … SELECT`),
their history rows and the outbox row(s), and for the cascade the assigned notices of its copies.
`tests/benchmarks/test_bench.py` checks that each writes the rows of its real path."""

from __future__ import annotations

from django.db import connection

_COLUMNS = (
    "plan_id, title, description, assignee_unit_id, start_date, due_date, effective_due_date, priority, "
    "criterion_code, progress, state, assigned_at, assigned_by_id, created_at, updated_at, source_id, "
    "series_id, period"
)
_EVENT_COLUMNS = "task_id, action, from_state, to_state, actor_id, at, reason, data"


def _execute(sql: str, params) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def floor_cascade(plan, templates, unit_ids: list[int], *, actor, now) -> int:
    """The copies of every template for every unit, their history rows, one outbox row, and the
    "assigned" notice of every copy to each active official of its unit but the actor (the copies have no
    lead), in Vietnamese, through the ledger's key (event id minus the task's id)."""
    from django.conf import settings

    from org.calendar import get_calendar

    calendar = get_calendar()
    params = {
        "plan": plan.pk,
        "actor": actor.pk,
        "now": now,
        "units": unit_ids,
        "ids": [t.pk for t in templates],
        "titles": [t.title for t in templates],
        "descriptions": [t.description for t in templates],
        "starts": [t.start_date for t in templates],
        "dues": [t.due_date for t in templates],
        "effective": [calendar.next_working_day(t.due_date) for t in templates],
        "priorities": [t.priority for t in templates],
        "codes": [t.criterion_code for t in templates],
        # What every notice of the batch says of the plan and the actor, and the task links' start.
        "plan_line": f"Kế hoạch: {plan.number} — {plan.title}",
        "actor_line": f"Người giao: {actor.display_name}",
        "link": f"Xem nhiệm vụ: {settings.SITE_URL.rstrip('/')}/tasks/",
    }
    return _execute(
        "WITH t AS (SELECT * FROM unnest(%(ids)s::bigint[], %(titles)s::text[], %(descriptions)s::text[], "
        "%(starts)s::date[], %(dues)s::date[], %(effective)s::date[], %(priorities)s::text[], "
        "%(codes)s::text[]) AS t(source_id, title, description, start_date, due_date, effective, priority, "
        f"code)), new AS (INSERT INTO tasks_task ({_COLUMNS}) SELECT %(plan)s, t.title, t.description, "
        "u.unit_id, t.start_date, t.due_date, t.effective, t.priority, t.code, 0, 'assigned', %(now)s, "
        "%(actor)s, %(now)s, %(now)s, t.source_id, NULL, '' FROM t CROSS JOIN "
        "unnest(%(units)s::bigint[]) AS u(unit_id) "
        "RETURNING id, assignee_unit_id, state, source_id, title, effective_due_date), "
        f"ev AS (INSERT INTO tasks_taskevent ({_EVENT_COLUMNS}) SELECT id, 'assign', '', state, %(actor)s, "
        "%(now)s, '', jsonb_build_object('bulk', true, 'source', source_id) FROM new), "
        "notice AS (INSERT INTO notifications_notification (recipient_id, kind, task_id, plan_id, title, "
        "body, due_date, event_id, created_at) SELECT m.user_id, 'assigned', new.id, %(plan)s, "
        "left('Nhiệm vụ mới được giao: ' || new.title, 500), 'Nhiệm vụ: ' || new.title || E'\\n' || "
        "%(plan_line)s || E'\\n' || 'Đơn vị thực hiện: ' || o.name || E'\\n' || 'Hạn hoàn thành: ' || "
        "to_char(new.effective_due_date, 'DD/MM/YYYY') || E'\\n' || %(actor_line)s || E'\\n' || "
        "%(link)s || new.id || '/', new.effective_due_date, -new.id, %(now)s FROM new "
        "JOIN org_unit o ON o.id = new.assignee_unit_id "
        "JOIN org_membership m ON m.unit_id = new.assignee_unit_id AND m.role = 'official' "
        "JOIN org_user mu ON mu.id = m.user_id AND mu.is_active WHERE m.user_id <> %(actor)s) "
        "INSERT INTO tasks_outbox (payload, created_at, attempts) SELECT jsonb_build_object('task_id', "
        "min(id), 'action', 'assign', 'plan_id', %(plan)s, 'assignee_unit_id', min(assignee_unit_id), "
        "'actor_id', %(actor)s, 'affects_score', true, 'task_ids', jsonb_agg(id ORDER BY id)), %(now)s, 0 "
        "FROM new",
        params,
    )


def floor_import(plan, rows: list[dict], *, actor, now) -> int:
    """The file's draft tasks, their history rows and one outbox row."""
    from org.calendar import get_calendar

    calendar = get_calendar()
    params = {
        "plan": plan.pk,
        "actor": actor.pk,
        "now": now,
        "units": [r["unit_id"] for r in rows],
        "titles": [r["title"] for r in rows],
        "descriptions": [r["description"] for r in rows],
        "starts": [r["start_date"] for r in rows],
        "dues": [r["due_date"] for r in rows],
        "effective": [calendar.next_working_day(r["due_date"]) for r in rows],
        "priorities": [r["priority"] for r in rows],
        "codes": [r["criterion_code"] for r in rows],
    }
    return _execute(
        "WITH new AS (INSERT INTO tasks_task "
        f"({_COLUMNS}) SELECT %(plan)s, r.title, r.description, r.unit_id, r.start_date, r.due_date, "
        "r.effective, r.priority, r.code, 0, 'draft', NULL, NULL, %(now)s, %(now)s, NULL, NULL, '' "
        "FROM unnest(%(units)s::bigint[], %(titles)s::text[], %(descriptions)s::text[], %(starts)s::date[], "
        "%(dues)s::date[], %(effective)s::date[], %(priorities)s::text[], %(codes)s::text[]) "
        "AS r(unit_id, title, description, start_date, due_date, effective, priority, code) "
        "RETURNING id, assignee_unit_id, state), "
        f"ev AS (INSERT INTO tasks_taskevent ({_EVENT_COLUMNS}) SELECT id, 'create', '', state, %(actor)s, "
        "%(now)s, '', '{\"bulk\": true}'::jsonb FROM new) "
        "INSERT INTO tasks_outbox (payload, created_at, attempts) SELECT jsonb_build_object('task_id', "
        "min(id), 'action', 'create', 'plan_id', %(plan)s, 'assignee_unit_id', min(assignee_unit_id), "
        "'actor_id', %(actor)s, 'affects_score', false, 'task_ids', jsonb_agg(id ORDER BY id)), %(now)s, 0 "
        "FROM new",
        params,
    )


def floor_series(series_ids: list[int], occurrence, *, now) -> int:
    """Every series' occurrence for every unit of its kind in its plan's reach, their history rows and one
    outbox row per plan."""
    from org.calendar import get_calendar

    calendar = get_calendar()
    params = {
        "series": series_ids,
        "now": now,
        "start": min(occurrence.create_on, occurrence.due),
        "due": occurrence.due,
        "effective": calendar.next_working_day(occurrence.due),
        "period": occurrence.key,
    }
    return _execute(
        "WITH s AS (SELECT s.id, s.plan_id, s.title, s.description, s.priority, s.criterion_code, "
        "s.unit_kind, s.created_by_id, o.path FROM tasks_taskseries s JOIN plans_plan p ON p.id = s.plan_id "
        "JOIN org_unit o ON o.id = p.owner_unit_id WHERE s.id = ANY(%(series)s)), "
        f"new AS (INSERT INTO tasks_task ({_COLUMNS}) SELECT s.plan_id, s.title, s.description, u.id, "
        "%(start)s, %(due)s, %(effective)s, s.priority, s.criterion_code, 0, 'assigned', %(now)s, "
        "s.created_by_id, %(now)s, %(now)s, NULL, s.id, %(period)s FROM s JOIN org_unit u "
        "ON u.kind = s.unit_kind AND u.path LIKE s.path || '%%' "
        "RETURNING id, plan_id, assignee_unit_id, state, assigned_by_id), "
        f"ev AS (INSERT INTO tasks_taskevent ({_EVENT_COLUMNS}) SELECT id, 'assign', '', state, "
        "assigned_by_id, %(now)s, '', '{\"bulk\": true}'::jsonb FROM new) "
        "INSERT INTO tasks_outbox (payload, created_at, attempts) SELECT jsonb_build_object('task_id', "
        "min(id), 'action', 'assign', 'plan_id', plan_id, 'assignee_unit_id', min(assignee_unit_id), "
        "'actor_id', min(assigned_by_id), 'affects_score', true, 'task_ids', jsonb_agg(id ORDER BY id)), "
        "%(now)s, 0 FROM new GROUP BY plan_id",
        params,
    )
