"""The pure reminder policy (SPEC §4) against real Vietnamese calendars. No database, no clock."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from notifications.policy import (
    OPEN_STATES,
    VN_TZ,
    DueReminder,
    InvalidPolicy,
    ReminderPolicy,
    TaskFacts,
    describe,
    due_reminders,
    in_sending_window,
    reminder_moment,
    reminder_sequence,
)
from org.calendar import WorkingCalendar

CAL = WorkingCalendar()
POLICY = ReminderPolicy()
ALL_STATES = ("draft", "assigned", "in_progress", "submitted", "returned", "approved", "cancelled")

# Assigned 2/1/2020, due Wednesday 5/2/2020, across Tết (23–29/1/2020): 20 working days long.
TET = TaskFacts(
    state="in_progress",
    assigned_on=date(2020, 1, 2),
    start_date=None,
    effective_due_date=date(2020, 2, 5),
    progress=30,
)


def task(**changes) -> TaskFacts:
    return replace(TET, **changes)


def at(*args) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


def triples(reminders) -> list[tuple[str, int, date]]:
    return [(r.kind, r.offset, r.day) for r in reminders]


def due_now(facts: TaskFacts, now: datetime, policy: ReminderPolicy = POLICY, calendar=CAL):
    return triples(due_reminders(facts, policy, calendar, now=now))


# --- full sequences over real calendars -------------------------------------------------------------------


def test_sequence_across_tet_2020():
    assert triples(reminder_sequence(TET, POLICY, CAL, until=date(2020, 2, 19))) == [
        ("at_risk", 9, date(2020, 1, 16)),  # 11th of the 20 working days
        ("due_7", 7, date(2020, 1, 20)),  # 20, 21, 22, then Tết, then 30, 31/1, 3, 4, 5/2
        ("due_3", 3, date(2020, 1, 31)),
        ("due_1", 1, date(2020, 2, 4)),
        ("due_0", 0, date(2020, 2, 5)),
        ("overdue", -1, date(2020, 2, 6)),
        ("overdue", -4, date(2020, 2, 11)),
        ("escalation", -5, date(2020, 2, 12)),
        ("overdue", -7, date(2020, 2, 14)),
        ("overdue", -10, date(2020, 2, 19)),
        ("escalation", -10, date(2020, 2, 19)),
    ]


def test_sequence_stops_at_until():
    assert triples(reminder_sequence(TET, POLICY, CAL, until=date(2020, 2, 11))) == [
        ("at_risk", 9, date(2020, 1, 16)),
        ("due_7", 7, date(2020, 1, 20)),
        ("due_3", 3, date(2020, 1, 31)),
        ("due_1", 1, date(2020, 2, 4)),
        ("due_0", 0, date(2020, 2, 5)),
        ("overdue", -1, date(2020, 2, 6)),
        ("overdue", -4, date(2020, 2, 11)),
    ]
    assert reminder_sequence(TET, POLICY, CAL, until=date(2020, 1, 15)) == []


def test_sequence_across_30_april_1_may_2020():
    facts = task(assigned_on=date(2020, 4, 20), effective_due_date=date(2020, 5, 5))  # 10 working days
    assert triples(reminder_sequence(facts, POLICY, CAL, until=date(2020, 5, 12))) == [
        ("due_7", 7, date(2020, 4, 22)),
        ("due_3", 3, date(2020, 4, 28)),
        ("due_1", 1, date(2020, 5, 4)),  # Thursday 30/4 and Friday 1/5 are off
        ("due_0", 0, date(2020, 5, 5)),
        ("overdue", -1, date(2020, 5, 6)),
        ("overdue", -4, date(2020, 5, 11)),
        ("escalation", -5, date(2020, 5, 12)),
    ]


SWAP_2025 = task(assigned_on=date(2025, 4, 1), effective_due_date=date(2025, 5, 5))  # 22 working days


def test_sequence_across_the_2025_swap():
    assert triples(reminder_sequence(SWAP_2025, POLICY, CAL, until=date(2025, 5, 19))) == [
        ("at_risk", 10, date(2025, 4, 17)),  # Monday 7/4 (Hùng Kings) is off
        ("due_7", 7, date(2025, 4, 22)),
        ("due_3", 3, date(2025, 4, 26)),  # the worked Saturday
        ("due_1", 1, date(2025, 4, 29)),  # 30/4, 1/5 and the swapped Friday 2/5 are off
        ("due_0", 0, date(2025, 5, 5)),
        ("overdue", -1, date(2025, 5, 6)),
        ("overdue", -4, date(2025, 5, 9)),
        ("escalation", -5, date(2025, 5, 12)),
        ("overdue", -7, date(2025, 5, 14)),
        ("overdue", -10, date(2025, 5, 19)),
        ("escalation", -10, date(2025, 5, 19)),
    ]


def test_sequence_follows_the_admin_table():
    # Had the admin cancelled the 2025 swap, Saturday 26/4 would be off and Friday 2/5 worked.
    cal = WorkingCalendar(extra_days_off=[date(2025, 4, 26)], working_days=[date(2025, 5, 2)])
    assert triples(reminder_sequence(SWAP_2025, POLICY, cal, until=date(2025, 5, 5))) == [
        ("at_risk", 10, date(2025, 4, 17)),
        ("due_7", 7, date(2025, 4, 22)),
        ("due_3", 3, date(2025, 4, 28)),
        ("due_1", 1, date(2025, 5, 2)),
        ("due_0", 0, date(2025, 5, 5)),
    ]


@pytest.mark.parametrize(
    ("due_date", "effective"),
    [
        (date(2020, 4, 26), date(2020, 4, 27)),  # Sunday → Monday
        (date(2020, 4, 30), date(2020, 5, 4)),  # 30/4 → Monday after the break
        (date(2020, 1, 25), date(2020, 1, 30)),  # Tết → first working day after it
        (date(2025, 5, 2), date(2025, 5, 5)),  # the swapped day off → Monday
    ],
)
def test_due_date_on_a_day_off_moves_to_the_next_working_day(due_date, effective):
    assert CAL.next_working_day(due_date) == effective
    moved = task(assigned_on=date(2019, 12, 1), effective_due_date=effective)
    sequence = reminder_sequence(moved, POLICY, CAL, until=effective + timedelta(days=30))
    due_0 = next(r for r in sequence if r.kind == "due_0")
    assert due_0.day == effective
    assert next(r for r in sequence if r.kind == "overdue").day == CAL.add_working_days(effective, 1)
    # A stale stored date (not a working day) is moved here too, so nothing lands on a day off.
    assert reminder_sequence(
        task(assigned_on=date(2019, 12, 1), effective_due_date=due_date), POLICY, CAL, until=effective
    ) == [r for r in sequence if r.day <= effective]


def test_due_1_on_the_day_before_tet_when_due_right_after():
    # due_7 would be 14/1, before the task was assigned on Friday 17/1.
    facts = task(assigned_on=date(2020, 1, 17), effective_due_date=date(2020, 1, 30))
    assert triples(reminder_sequence(facts, POLICY, CAL, until=date(2020, 1, 30))) == [
        ("due_3", 3, date(2020, 1, 20)),
        ("due_1", 1, date(2020, 1, 22)),
        ("due_0", 0, date(2020, 1, 30)),
    ]


# --- the "later than the assigned day" rule ---------------------------------------------------------------

BREAK_2020 = task(effective_due_date=date(2020, 5, 5))


@pytest.mark.parametrize(
    ("assigned_on", "kinds"),
    [
        (None, ["due_7", "due_3", "due_1", "due_0"]),
        (date(2020, 4, 21), ["due_7", "due_3", "due_1", "due_0"]),  # the day before due_7
        (date(2020, 4, 22), ["due_3", "due_1", "due_0"]),  # due_7's own day: the assigned notice covers it
        (date(2020, 4, 28), ["due_1", "due_0"]),
        (date(2020, 5, 5), []),  # assigned on the due day
        (date(2020, 5, 8), []),  # assigned after the due date (records entered late)
    ],
)
def test_before_due_reminders_only_after_the_assigned_day(assigned_on, kinds):
    facts = task(assigned_on=assigned_on, start_date=None, effective_due_date=date(2020, 5, 5))
    sequence = reminder_sequence(facts, POLICY, CAL, until=date(2020, 5, 5))
    assert [r.kind for r in sequence] == kinds


def test_overdue_and_escalation_do_not_depend_on_the_assigned_day():
    late = task(assigned_on=date(2020, 5, 12), effective_due_date=date(2020, 5, 5))
    assert triples(reminder_sequence(late, POLICY, CAL, until=date(2020, 5, 12))) == [
        ("overdue", -1, date(2020, 5, 6)),
        ("overdue", -4, date(2020, 5, 11)),
        ("escalation", -5, date(2020, 5, 12)),
    ]


# --- at risk ----------------------------------------------------------------------------------------------


def test_at_risk_at_the_midpoint_when_progress_is_behind():
    assert due_now(TET, at(2020, 1, 16, 8, 0)) == [("at_risk", 9, date(2020, 1, 16))]
    assert due_now(task(progress=49), at(2020, 1, 16, 8, 0)) == [("at_risk", 9, date(2020, 1, 16))]
    assert due_now(TET, at(2020, 1, 15, 16, 59)) == []  # not yet


@pytest.mark.parametrize("progress", [50, 60, 100])
def test_no_at_risk_when_progress_is_on_track(progress):
    assert due_now(task(progress=progress), at(2020, 1, 16, 8, 0)) == []
    # The next reminder is unaffected.
    assert due_now(task(progress=progress), at(2020, 1, 20, 8, 0)) == [("due_7", 7, date(2020, 1, 20))]


def test_no_at_risk_for_a_19_working_day_task():
    short = task(assigned_on=date(2020, 1, 3))  # 3/1 to 5/2/2020: 19 working days
    assert CAL.working_days_in(date(2020, 1, 3), date(2020, 2, 5)) == 19
    assert [r.kind for r in reminder_sequence(short, POLICY, CAL, until=date(2020, 2, 5))] == [
        "due_7",
        "due_3",
        "due_1",
        "due_0",
    ]
    assert due_now(short, at(2020, 1, 16, 8, 0)) == []
    assert due_now(short, at(2020, 1, 17, 8, 0)) == []


def test_at_risk_counts_from_the_start_date():
    # Started 16/12/2019: 32 working days to 5/2/2020; the midpoint is the 17th, Wednesday 8/1/2020.
    started = task(start_date=date(2019, 12, 16))
    assert triples(reminder_sequence(started, POLICY, CAL, until=date(2020, 1, 20))) == [
        ("at_risk", 15, date(2020, 1, 8)),
        ("due_7", 7, date(2020, 1, 20)),
    ]


def test_at_risk_not_before_the_assigned_day():
    # Started 1/12/2019 (42 working days): the midpoint, 31/12/2019, is before the task was assigned.
    early = task(start_date=date(2019, 12, 1), assigned_on=date(2020, 1, 2))
    assert "at_risk" not in [r.kind for r in reminder_sequence(early, POLICY, CAL, until=date(2020, 2, 5))]
    # Counting from the same start with no assigned day, it is there.
    unassigned = task(start_date=date(2019, 12, 1), assigned_on=None)
    sequence = reminder_sequence(unassigned, POLICY, CAL, until=date(2020, 2, 5))
    assert ("at_risk", 20, date(2019, 12, 31)) in triples(sequence)


def test_at_risk_and_a_before_due_reminder_on_the_same_day():
    # A custom due_9 falls on the midpoint (16/1/2020): the nudge is sent when progress is behind,
    # the plain reminder otherwise; both keep their own ledger key.
    policy = ReminderPolicy(before_offsets=(9, 0))
    sequence = reminder_sequence(TET, policy, CAL, until=date(2020, 1, 16))
    assert triples(sequence) == [("due_9", 9, date(2020, 1, 16)), ("at_risk", 9, date(2020, 1, 16))]
    assert due_now(TET, at(2020, 1, 16, 8, 0), policy) == [("at_risk", 9, date(2020, 1, 16))]
    assert due_now(task(progress=80), at(2020, 1, 16, 8, 0), policy) == [("due_9", 9, date(2020, 1, 16))]


def test_no_at_risk_without_any_start():
    undated = task(assigned_on=None, start_date=None)
    assert "at_risk" not in [r.kind for r in reminder_sequence(undated, POLICY, CAL, until=date(2020, 2, 5))]


# --- due_reminders: states, window, catch-up --------------------------------------------------------------


@pytest.mark.parametrize("state", ["draft", "submitted", "approved", "cancelled"])
def test_nothing_for_a_task_that_is_not_open(state):
    for now in (at(2020, 1, 16, 8, 0), at(2020, 2, 5, 8, 0), at(2020, 2, 19, 9, 0)):
        assert due_now(task(state=state), now) == []


@pytest.mark.parametrize("state", ["assigned", "in_progress", "returned"])
def test_open_states_get_reminders(state):
    assert due_now(task(state=state), at(2020, 2, 5, 8, 0)) == [("due_0", 0, date(2020, 2, 5))]


def test_a_returned_task_resumes_with_the_latest_reminder():
    now = at(2020, 2, 13, 8, 0)  # 6 working days overdue
    assert due_now(task(state="submitted"), now) == []
    assert due_now(task(state="returned"), now) == [
        ("overdue", -4, date(2020, 2, 11)),
        ("escalation", -5, date(2020, 2, 12)),
    ]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(2020, 2, 5, 7, 59), False),
        (at(2020, 2, 5, 8, 0), True),
        (at(2020, 2, 5, 16, 59, 59), True),
        (at(2020, 2, 5, 17, 0), False),
        (at(2020, 2, 5, 23, 30), False),
        (at(2020, 2, 8, 9, 0), False),  # Saturday
        (at(2020, 1, 28, 9, 0), False),  # Tết
        (at(2025, 4, 26, 9, 0), True),  # the worked Saturday of 2025
        (at(2025, 5, 2, 9, 0), False),  # its swapped Friday off
        (datetime(2020, 2, 5, 1, 0, tzinfo=UTC), True),  # 08:00 in Hà Nội
        (datetime(2020, 2, 5, 0, 59, tzinfo=UTC), False),
        (datetime(2020, 2, 7, 17, 0, tzinfo=UTC), False),  # Saturday 00:00 local, Friday in UTC
    ],
)
def test_sending_window(now, expected):
    assert in_sending_window(now, POLICY, CAL) is expected


def test_sending_window_follows_the_policy():
    policy = ReminderPolicy(send_at=time(7, 30), send_until=time(11, 0))
    assert in_sending_window(at(2020, 2, 5, 7, 30), policy, CAL)
    assert not in_sending_window(at(2020, 2, 5, 11, 0), policy, CAL)


def test_a_naive_now_is_refused():
    with pytest.raises(ValueError, match="aware"):
        in_sending_window(datetime(2020, 2, 5, 9, 0), POLICY, CAL)


@pytest.mark.parametrize(
    "now",
    [
        at(2020, 2, 5, 7, 59),
        at(2020, 2, 5, 17, 0),
        at(2020, 2, 8, 9, 0),  # Saturday, 2 working days overdue
        at(2020, 1, 28, 9, 0),  # Tết
    ],
)
def test_nothing_outside_the_sending_window(now):
    assert due_now(TET, now) == []


def test_a_reminder_due_at_night_waits_for_the_next_working_morning():
    assert due_now(TET, at(2020, 2, 5, 17, 30)) == []  # due_0 missed the window
    assert due_now(TET, at(2020, 2, 6, 8, 0)) == [("overdue", -1, date(2020, 2, 6))]
    # A reminder due on Friday and missed is still the latest on Monday morning.
    facts = task(effective_due_date=date(2020, 2, 7))
    assert due_now(facts, at(2020, 2, 10, 8, 0)) == [("overdue", -1, date(2020, 2, 10))]
    assert due_now(facts, at(2020, 2, 7, 8, 0)) == [("due_0", 0, date(2020, 2, 7))]
    assert due_now(task(effective_due_date=date(2020, 2, 10)), at(2020, 2, 10, 8, 15)) == [
        ("due_0", 0, date(2020, 2, 10))
    ]


def test_after_ten_working_days_of_downtime_only_the_latest_of_each_stream():
    # Down from 6/2 (the first overdue reminder) to 19/2/2020: 10 working days overdue on return.
    assert due_now(TET, at(2020, 2, 19, 8, 0)) == [
        ("overdue", -10, date(2020, 2, 19)),
        ("escalation", -10, date(2020, 2, 19)),
    ]
    # Back one day earlier: the overdue and escalation streams are at different points.
    assert due_now(TET, at(2020, 2, 18, 8, 0)) == [
        ("overdue", -7, date(2020, 2, 14)),
        ("escalation", -5, date(2020, 2, 12)),
    ]


def test_after_downtime_before_the_due_date_only_the_latest_reminder():
    # Down over Tết and the days after it: the at-risk nudge, due_7 and due_3 are stale by 4/2/2020.
    assert due_now(TET, at(2020, 2, 4, 10, 0)) == [("due_1", 1, date(2020, 2, 4))]


def test_escalation_on_its_own_stream_at_5_and_10_working_days_overdue():
    assert due_now(TET, at(2020, 2, 11, 8, 0)) == [("overdue", -4, date(2020, 2, 11))]
    assert due_now(TET, at(2020, 2, 12, 8, 0)) == [
        ("overdue", -4, date(2020, 2, 11)),  # still the latest overdue; the ledger sends it once
        ("escalation", -5, date(2020, 2, 12)),
    ]
    due = due_reminders(TET, POLICY, CAL, now=at(2020, 2, 19, 8, 0))
    assert [(r.kind, r.offset, r.stream) for r in due] == [
        ("overdue", -10, "reminder"),
        ("escalation", -10, "escalation"),
    ]


def test_reminder_moment_is_send_at_local_time():
    moment = reminder_moment(date(2020, 2, 6), POLICY)
    assert moment == datetime(2020, 2, 6, 1, 0, tzinfo=UTC)
    assert moment.tzinfo is VN_TZ and moment.hour == 8
    assert reminder_moment(date(2020, 2, 6), ReminderPolicy(send_at=time(9, 30))) == at(2020, 2, 6, 9, 30)


@pytest.mark.parametrize(
    ("kind", "offset", "text"),
    [
        ("due_7", 7, "7 ngày làm việc trước hạn"),
        ("due_1", 1, "1 ngày làm việc trước hạn"),
        ("due_0", 0, "đến hạn hôm nay"),
        ("overdue", -4, "quá hạn 4 ngày làm việc"),
        ("escalation", -10, "báo cáo lãnh đạo: quá hạn 10 ngày làm việc"),
        ("at_risk", 9, "có nguy cơ trễ hạn: đã qua nửa thời gian, còn 9 ngày làm việc"),
    ],
)
def test_describe(kind, offset, text):
    stream = "escalation" if kind == "escalation" else "reminder"
    assert describe(DueReminder(kind=kind, offset=offset, day=date(2020, 2, 5), stream=stream)) == text


def test_describe_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match="submitted"):
        describe(DueReminder(kind="submitted", offset=0, day=date(2020, 2, 5), stream="reminder"))


# --- ReminderPolicy ---------------------------------------------------------------------------------------


def test_policy_defaults_and_dict_round_trip():
    assert POLICY.to_dict() == {
        "before_offsets": [7, 3, 1, 0],
        "at_risk_min_length": 20,
        "at_risk_progress_below": 50,
        "overdue_first": 1,
        "overdue_every": 3,
        "escalation_first": 5,
        "escalation_every": 5,
        "send_at": "08:00",
        "send_until": "17:00",
    }
    assert ReminderPolicy.from_dict(POLICY.to_dict()) == POLICY
    assert ReminderPolicy.from_dict({}) == POLICY


def test_from_dict_takes_a_partial_override():
    policy = ReminderPolicy.from_dict({"before_offsets": [0, 5, 2], "overdue_every": 1, "send_at": "07:30"})
    assert policy.before_offsets == (5, 2, 0)  # kept from the earliest reminder to the due day
    assert policy.overdue_every == 1
    assert policy.send_at == time(7, 30)
    assert policy.escalation_every == 5
    assert ReminderPolicy.from_dict({"before_offsets": []}).before_offsets == ()


def test_a_custom_policy_changes_the_sequence():
    policy = ReminderPolicy.from_dict({"before_offsets": [2], "overdue_first": 2, "overdue_every": 1})
    assert triples(reminder_sequence(TET, policy, CAL, until=date(2020, 2, 11))) == [
        ("at_risk", 9, date(2020, 1, 16)),
        ("due_2", 2, date(2020, 2, 3)),
        ("overdue", -2, date(2020, 2, 7)),
        ("overdue", -3, date(2020, 2, 10)),
        ("overdue", -4, date(2020, 2, 11)),
    ]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"before_offsets": [7, -1]}, "before_offsets"),
        ({"before_offsets": [3, 3]}, "before_offsets"),
        ({"before_offsets": [7, "3"]}, "before_offsets"),
        ({"before_offsets": 7}, "before_offsets"),
        ({"before_offsets": [True]}, "before_offsets"),
        ({"before_offsets": [10_000]}, "before_offsets"),
        ({"overdue_every": 0}, "overdue_every"),
        ({"overdue_every": -3}, "overdue_every"),
        ({"escalation_every": 0}, "escalation_every"),
        ({"overdue_first": 0}, "overdue_first"),
        ({"escalation_first": 0}, "escalation_first"),
        ({"at_risk_min_length": 0}, "at_risk_min_length"),
        ({"at_risk_progress_below": 101}, "at_risk_progress_below"),
        ({"at_risk_progress_below": -1}, "at_risk_progress_below"),
        ({"overdue_every": "3"}, "overdue_every"),
        ({"overdue_every": 2.5}, "overdue_every"),
        ({"overdue_every": None}, "overdue_every"),
        ({"escalation_every": True}, "escalation_every"),
        ({"send_at": "8 giờ"}, "send_at"),
        ({"send_at": 8}, "send_at"),
        ({"send_at": "08:00+07:00"}, "send_at"),
        ({"send_at": "17:00"}, "send_until"),
        ({"send_at": "09:00", "send_until": "08:00"}, "send_until"),
        ({"overdue_evry": 3}, "overdue_evry"),
    ],
)
def test_from_dict_rejects_bad_values_with_a_message_naming_the_field(data, field):
    with pytest.raises(ValueError, match=field) as caught:
        ReminderPolicy.from_dict(data)
    assert isinstance(caught.value, InvalidPolicy)
    assert set(caught.value.errors) == {field}
    assert caught.value.errors[field]


def test_from_dict_reports_every_bad_field_at_once():
    with pytest.raises(InvalidPolicy) as caught:
        ReminderPolicy.from_dict({"before_offsets": [-7], "overdue_every": 0, "send_at": "x", "extra": 1})
    assert set(caught.value.errors) == {"before_offsets", "overdue_every", "send_at", "extra"}


@pytest.mark.parametrize("data", [None, [], "{}", 7])
def test_from_dict_needs_an_object(data):
    with pytest.raises(ValueError, match="JSON"):
        ReminderPolicy.from_dict(data)


def test_the_constructor_validates_too():
    with pytest.raises(ValueError, match="overdue_every"):
        ReminderPolicy(overdue_every=0)
    with pytest.raises(ValueError, match="before_offsets"):
        ReminderPolicy(before_offsets=(1, -1))
    assert ReminderPolicy(before_offsets=[1, 3]).before_offsets == (3, 1)


# --- properties -------------------------------------------------------------------------------------------

DAYS = st.dates(min_value=date(2019, 6, 1), max_value=date(2027, 6, 30))


@st.composite
def calendars(draw):
    near = st.dates(min_value=date(2019, 6, 1), max_value=date(2027, 6, 30))
    if draw(st.booleans()):
        return CAL
    return WorkingCalendar(
        extra_days_off=draw(st.sets(near, max_size=20)), working_days=draw(st.sets(near, max_size=10))
    )


@st.composite
def policies(draw):
    small = st.integers(min_value=1, max_value=12)
    return ReminderPolicy(
        before_offsets=tuple(draw(st.sets(st.integers(min_value=0, max_value=30), max_size=6))),
        at_risk_min_length=draw(st.integers(min_value=1, max_value=40)),
        at_risk_progress_below=draw(st.integers(min_value=0, max_value=100)),
        overdue_first=draw(small),
        overdue_every=draw(small),
        escalation_first=draw(small),
        escalation_every=draw(small),
    )


@st.composite
def tasks(draw, calendar):
    due = calendar.next_working_day(draw(DAYS))
    near_due = st.integers(min_value=-200, max_value=20).map(lambda n: due + timedelta(days=n))
    return TaskFacts(
        state=draw(st.sampled_from(ALL_STATES)),
        assigned_on=draw(st.none() | near_due),
        start_date=draw(st.none() | near_due),
        effective_due_date=due,
        progress=draw(st.integers(min_value=0, max_value=100)),
    )


KIND_RANK = {"due": 0, "at_risk": 1, "overdue": 2, "escalation": 3}


def order_key(r: DueReminder) -> tuple:
    kind = "due" if r.kind.startswith("due_") else r.kind
    return (r.day, r.stream == "escalation", KIND_RANK[kind])


def check_sequence(sequence, facts, policy, calendar, until):
    due = facts.effective_due_date
    keys = [order_key(r) for r in sequence]
    assert keys == sorted(keys) and len(set(keys)) == len(keys), "strictly ordered"
    assert len({(r.kind, r.offset) for r in sequence}) == len(sequence), "the ledger key is unique"
    for r in sequence:
        assert calendar.is_working_day(r.day)
        assert r.day <= until
        if r.kind.startswith("due_") or r.kind == "at_risk":
            assert r.stream == "reminder" and r.offset >= 0
            assert facts.assigned_on is None or r.day > facts.assigned_on
            assert calendar.working_days_between(r.day, due) == r.offset
            if r.kind.startswith("due_"):
                assert r.kind == f"due_{r.offset}" and r.offset in policy.before_offsets
        else:
            assert r.offset < 0 and calendar.working_days_between(due, r.day) == -r.offset
            assert r.stream == ("escalation" if r.kind == "escalation" else "reminder")


def expected_after_due(first: int, every: int, due: date, until: date, calendar) -> list[int]:
    """Working days overdue of every overdue (or escalation) reminder up to `until`, counted afresh."""
    late = calendar.working_days_between(due, until)
    return list(range(first, late + 1, every))


@settings(max_examples=150, deadline=None)
@given(data=st.data(), policy=policies(), calendar=calendars(), days_after=st.integers(-60, 200))
def test_property_every_reminder_is_on_a_working_day_in_strict_order(data, policy, calendar, days_after):
    facts = data.draw(tasks(calendar))
    until = facts.effective_due_date + timedelta(days=days_after)
    sequence = reminder_sequence(facts, policy, calendar, until=until)
    check_sequence(sequence, facts, policy, calendar, until)
    due = facts.effective_due_date
    # Every overdue and escalation reminder is there, none missing in between, none extra.
    for kind, first, every in (
        ("overdue", policy.overdue_first, policy.overdue_every),
        ("escalation", policy.escalation_first, policy.escalation_every),
    ):
        got = [-r.offset for r in sequence if r.kind == kind]
        assert got == expected_after_due(first, every, due, until, calendar)
    # Every before-due reminder the rule allows is there.
    for k in policy.before_offsets:
        day = calendar.add_working_days(due, -k)
        expected = day <= until and (facts.assigned_on is None or day > facts.assigned_on)
        assert (DueReminder(f"due_{k}", k, day, "reminder") in sequence) is expected


@settings(max_examples=150, deadline=None)
@given(
    data=st.data(),
    policy=policies(),
    calendar=calendars(),
    days_after=st.integers(-40, 120),
    clock=st.times(),
)
def test_property_due_reminders_at_most_one_per_stream_from_the_sequence(
    data, policy, calendar, days_after, clock
):
    facts = data.draw(tasks(calendar))
    now = datetime.combine(facts.effective_due_date + timedelta(days=days_after), clock, tzinfo=VN_TZ)
    due = due_reminders(facts, policy, calendar, now=now)
    streams = [r.stream for r in due]
    assert streams in ([], ["reminder"], ["escalation"], ["reminder", "escalation"])
    if facts.state not in OPEN_STATES or not in_sending_window(now, policy, calendar):
        assert due == []
        return
    sequence = reminder_sequence(facts, policy, calendar, until=now.date())
    behind = facts.progress < policy.at_risk_progress_below
    sendable = [s for s in sequence if s.kind != "at_risk" or behind]
    for r in due:
        assert r in sendable
        # Nothing newer in its stream has come due: after downtime only the latest goes out.
        assert not [s for s in sendable if s.stream == r.stream and order_key(s) > order_key(r)]
    # And no stream with something due is left out.
    assert {s.stream for s in sendable} == set(streams)


@settings(max_examples=100, deadline=None)
@given(policy=policies(), send_at=st.times(), minutes=st.integers(1, 600))
def test_property_policy_dict_round_trip(policy, send_at, minutes):
    start = datetime.combine(date(2020, 1, 1), send_at.replace(microsecond=0))
    end = start + timedelta(minutes=minutes)
    assume(end.date() == start.date())
    policy = replace(policy, send_at=start.time(), send_until=end.time())
    assert ReminderPolicy.from_dict(policy.to_dict()) == policy


@settings(max_examples=300, deadline=None)
@given(data=st.data(), policy=policies(), calendar=calendars(), days_after=st.integers(-60, 400))
def test_property_latest_overdue_only_keeps_the_last_of_each_overdue_stream(
    data, policy, calendar, days_after
):
    facts = data.draw(tasks(calendar))
    until = facts.effective_due_date + timedelta(days=days_after)
    full = reminder_sequence(facts, policy, calendar, until=until)
    short = reminder_sequence(facts, policy, calendar, until=until, latest_overdue_only=True)
    for kind in ("overdue", "escalation"):
        assert [r for r in short if r.kind == kind] == [r for r in full if r.kind == kind][-1:]
    assert [r for r in short if r.kind not in ("overdue", "escalation")] == [
        r for r in full if r.kind not in ("overdue", "escalation")
    ]
    assert short == sorted(short, key=lambda r: (r.day, r.stream == "escalation"))
