"""factory_boy factories. Tasks in a given state are made by driving the real services (`task_in_state`),
never by writing the state field."""

from __future__ import annotations

import datetime as dt
import itertools

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from org import services as org_services
from org.models import Unit, UnitKind, User
from plans import services as plan_services
from tasks import services as task_services

_codes = itertools.count(1)

MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>"
    b"endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def pdf_file(name: str = "bao-cao.pdf", content: bytes = MINIMAL_PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def unit(
    code: str | None = None,
    *,
    kind: str = UnitKind.COMMUNE,
    parent: Unit | None = None,
    name: str | None = None,
) -> Unit:
    code = code or f"U{next(_codes):05d}"
    return org_services.unit_create(code=code, name=name or f"Đơn vị {code}", kind=kind, parent=parent)


def user(username: str | None = None, *, memberships=(), superuser: bool = False, **kw) -> User:
    username = username or f"user{next(_codes)}"
    return org_services.user_create(
        username=username,
        password="Secret-pass-123",
        full_name=username.title(),
        email=f"{username}@example.vn",
        memberships=list(memberships),
        is_superuser=superuser,
        **kw,
    )


class World:
    """A province with a city and two communes, a leader of the city, officials of each commune."""

    def __init__(self):
        self.province = unit("P01", kind=UnitKind.PROVINCE, name="Tỉnh Yên Bái")
        self.city = unit("C01", kind=UnitKind.DISTRICT, parent=self.province, name="Thành phố Yên Bái")
        self.commune = unit("X01", parent=self.city, name="Phường Đồng Tâm")
        self.other_commune = unit("X02", parent=self.city, name="Xã Tân Thịnh")
        self.elsewhere = unit("C02", kind=UnitKind.DISTRICT, parent=self.province, name="Huyện Lục Yên")
        self.elsewhere_commune = unit("X99", parent=self.elsewhere, name="Xã Mường Lai")
        self.city_leader = user("leader", memberships=[(self.city, "leader")])
        self.official = user("official", memberships=[(self.commune, "official")])
        self.colleague = user("colleague", memberships=[(self.commune, "official")])
        self.other_official = user("other", memberships=[(self.other_commune, "official")])
        self.stranger = user("stranger", memberships=[(self.elsewhere_commune, "official")])
        self.stranger_leader = user("strangerleader", memberships=[(self.elsewhere, "leader")])
        self.admin = user("admin", superuser=True)
        self.plan = plan_services.plan_create(
            actor=self.city_leader,
            owner_unit=self.city,
            number="36/KH-UBND",
            title="Kế hoạch kỷ luật, kỷ cương hành chính",
            year=2026,
        )
        plan_services.plan_issue(actor=self.city_leader, plan=self.plan)

    def task(
        self,
        state: str = "draft",
        *,
        due: dt.date | None = ...,  # type: ignore[assignment]  (None: no due date)
        unit: Unit | None = None,
        lead=None,
        now=None,
        **kw,
    ):
        # By default due three weeks after the session's now (TEST_NOW, or a test's own travel): in time and
        # not yet "due soon", whatever day the suite runs.
        if due is ...:
            due = timezone.localdate() + dt.timedelta(days=21)
        return task_in_state(self, state, due=due, unit=unit or self.commune, lead=lead, now=now, **kw)


def task_in_state(world: World, state: str, *, due, unit, lead=None, now=None, plan=None, leader=None, **kw):
    """A task of `plan` (the city's plan) driven through the services to `state` by `leader` (the city
    leader) and the assignee unit's member."""
    leader, official = leader or world.city_leader, world.official
    t = task_services.task_create(
        actor=leader,
        plan=plan or world.plan,
        title=kw.pop("title", "Rà soát TTHC"),
        assignee_unit=unit,
        due_date=due,
        lead=lead,
        **kw,
    )
    steps = {
        "draft": [],
        "assigned": ["assign"],
        "in_progress": ["assign", "start"],
        "submitted": ["assign", "start", "evidence", "submit"],
        "returned": ["assign", "start", "evidence", "submit", "return"],
        "approved": ["assign", "start", "evidence", "submit", "approve"],
        "cancelled": ["cancel"],
    }[state]
    member = official if unit == world.commune else None
    for step in steps:
        if step == "evidence":
            task_services.evidence_add(
                actor=member or world.admin, task=t, file=pdf_file(), doc_number="01/BC"
            )
        elif step in ("start", "submit"):
            t = task_services.TRANSITIONS[step](actor=member or world.admin, task=t, now=now)
        else:
            t = task_services.TRANSITIONS[step](actor=leader, task=t, reason="lý do", now=now)
    return t


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"f-user{n}")
    full_name = factory.Faker("name", locale="vi_VN")


# --- Scoring helpers -----------------------------------------------------------------------------------


def criteria_set_from(text: str):
    """Import a criteria set from YAML text through the service (as the command does)."""
    from criteria.services import criteria_set_import

    return criteria_set_import(data=text)


def bound_plan(world: World, criteria_set, *, owner: Unit | None = None, leader=None, number: str = "01/KH"):
    """An issued plan bound to `criteria_set`, owned by `owner` (default: the city) and made by `leader`."""
    owner = owner or world.city
    leader = leader or world.city_leader
    plan = plan_services.plan_create(
        actor=leader,
        owner_unit=owner,
        number=number,
        title=f"Kế hoạch CCHC {number}",
        year=criteria_set.year,
        criteria_set=criteria_set,
    )
    return plan_services.plan_issue(actor=leader, plan=plan)


def drive(task, steps, *, leader, member, at=None, metric_value=None, reason: str = "lý do"):
    """Drive a task through `steps` (assign, start, evidence, submit, approve, return, cancel, reopen) with
    the real services. `at` is the moment of every step (None: now); `metric_value` goes with the evidence."""
    for step in steps:
        if step == "evidence":
            task_services.evidence_add(
                actor=member,
                task=task,
                file=pdf_file(),
                doc_number="01/BC",
                metric_value=metric_value,
                now=at,
            )
        elif step in ("start", "submit"):
            task = task_services.TRANSITIONS[step](actor=member, task=task, now=at)
        else:
            task = task_services.TRANSITIONS[step](actor=leader, task=task, reason=reason, now=at)
    return task


STEPS_TO = {
    "draft": [],
    "assigned": ["assign"],
    "in_progress": ["assign", "start"],
    "submitted": ["assign", "start", "evidence", "submit"],
    "approved": ["assign", "start", "evidence", "submit", "approve"],
    "cancelled": ["cancel"],
}
