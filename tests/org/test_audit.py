"""The audit trail (issue 12): every write a user makes to units, users, memberships, the calendar and plans
leaves one entry in the same transaction, with who, what, where and the fields before and after; the trail
is append-only, scoped like every listing, and shown by the admin's History button."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse

from org import services as org_services
from org.audit import audit_record
from org.models import AuditAction, AuditEntry, Membership
from plans import services as plan_services
from tests.factories import unit, user

pytestmark = pytest.mark.django_db


def _entries(obj, action=None):
    qs = AuditEntry.objects.about(obj)
    return list(qs.filter(action=action) if action else qs)


def test_unit_create_and_change_are_recorded_with_fields_before_and_after(world):
    created = _entries(world.commune, AuditAction.UNIT_CREATED)
    assert len(created) == 1 and created[0].actor is None  # the factory acts as a command's operator
    assert created[0].changes["code"] == [None, "X01"]

    org_services.unit_update(actor=world.admin, unit=world.commune, name="Phường Đồng Tâm mới")
    changed = _entries(world.commune, AuditAction.UNIT_CHANGED)
    assert len(changed) == 1
    assert changed[0].actor == world.admin and changed[0].unit == world.commune
    assert changed[0].changes == {"name": ["Phường Đồng Tâm", "Phường Đồng Tâm mới"]}


def test_a_save_that_changes_nothing_writes_no_entry(world):
    org_services.unit_update(actor=world.admin, unit=world.commune, name=world.commune.name)
    assert _entries(world.commune, AuditAction.UNIT_CHANGED) == []


def test_a_refused_change_leaves_no_entry(world):
    admin_of_city = user("cityadmin", memberships=[(world.city, "admin")])
    with pytest.raises(ValidationError):
        org_services.unit_update(actor=admin_of_city, unit=world.commune, parent=world.elsewhere)
    with pytest.raises(ValidationError):  # under its own sub-unit
        org_services.unit_update(actor=world.admin, unit=world.city, parent=world.commune)
    assert _entries(world.commune, AuditAction.UNIT_CHANGED) == []
    assert _entries(world.city, AuditAction.UNIT_CHANGED) == []


def test_a_move_is_recorded_as_the_new_parent(world):
    org_services.unit_update(actor=world.admin, unit=world.commune, parent=world.elsewhere)
    (entry,) = _entries(world.commune, AuditAction.UNIT_CHANGED)
    assert entry.changes == {"parent": [world.city.pk, world.elsewhere.pk]}


def test_memberships_granted_and_taken_are_recorded_on_the_user(world):
    newcomer = user("newcomer", memberships=[(world.commune, "official")])
    (added,) = _entries(newcomer, AuditAction.MEMBERSHIP_ADDED)
    assert added.unit == world.commune and added.changes["role"] == [None, "official"]
    assert len(_entries(newcomer, AuditAction.USER_CREATED)) == 1

    org_services.membership_add(actor=world.admin, user=newcomer, unit=world.commune, role="official")
    assert len(_entries(newcomer, AuditAction.MEMBERSHIP_ADDED)) == 1  # already held: nothing new

    membership = Membership.objects.get(user=newcomer, unit=world.commune)
    org_services.membership_remove(actor=world.admin, membership=membership)
    (removed,) = _entries(newcomer, AuditAction.MEMBERSHIP_REMOVED)
    assert removed.actor == world.admin and removed.changes["unit"] == ["X01", None]
    assert not Membership.objects.filter(user=newcomer).exists()


def test_an_admin_cannot_take_a_membership_outside_their_subtree(world):
    admin_of_other = user("otheradmin", memberships=[(world.elsewhere, "admin")])
    membership = Membership.objects.get(user=world.official)
    with pytest.raises(ValidationError):
        org_services.membership_remove(actor=admin_of_other, membership=membership)
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert _entries(world.official, AuditAction.MEMBERSHIP_REMOVED) == []


def test_plan_writes_are_recorded_in_the_owner_unit(world):
    plan = plan_services.plan_create(
        actor=world.city_leader, owner_unit=world.city, number="99/KH", title="Kế hoạch A", year=2026
    )
    plan_services.plan_update(actor=world.city_leader, plan=plan, title="Kế hoạch B")
    plan_services.plan_issue(actor=world.city_leader, plan=plan)
    plan_services.plan_close(actor=world.city_leader, plan=plan)
    actions = [e.action for e in reversed(_entries(plan))]
    assert actions == ["plan_created", "plan_changed", "plan_issued", "plan_closed"]
    entries = {e.action: e for e in _entries(plan)}
    assert entries["plan_changed"].changes == {"title": ["Kế hoạch A", "Kế hoạch B"]}
    assert entries["plan_issued"].changes["state"] == ["draft", "issued"]
    assert all(e.unit == world.city and e.actor == world.city_leader for e in entries.values())


def test_a_refused_plan_action_leaves_no_entry(world):
    before = len(_entries(world.plan))
    with pytest.raises(PermissionDenied):
        plan_services.plan_update(actor=world.official, plan=world.plan, title="Không được")
    with pytest.raises(plan_services.PlanTransitionError):
        plan_services.plan_issue(actor=world.city_leader, plan=world.plan)  # already issued
    assert len(_entries(world.plan)) == before


def test_the_trail_is_append_only(world):
    entry = _entries(world.commune)[0]
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=entry.pk).update(note="sửa")
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()


@pytest.mark.django_db(transaction=True)
def test_an_entry_is_only_written_inside_the_change_s_transaction():
    target = unit("T01")
    with pytest.raises(RuntimeError):
        audit_record(actor=None, action=AuditAction.UNIT_CHANGED, subject=target)
    with transaction.atomic():
        audit_record(actor=None, action=AuditAction.UNIT_CHANGED, subject=target, note="ok")
    assert AuditEntry.objects.about(target).filter(note="ok").count() == 1


def test_entries_are_scoped_like_every_listing(world):
    org_services.unit_update(actor=world.admin, unit=world.elsewhere_commune, name="Xã khác")
    visible = AuditEntry.objects.visible_to(world.city_leader)
    assert visible.filter(unit=world.commune).exists()
    assert not visible.filter(unit=world.elsewhere_commune).exists()
    assert AuditEntry.objects.visible_to(world.admin).filter(unit=world.elsewhere_commune).exists()


def test_calendar_overrides_are_recorded(world):
    day = org_services.calendar_day_set(actor=world.admin, date=dt.date(2026, 12, 26), is_working=True)
    org_services.calendar_day_remove(actor=world.admin, day=day)
    entries = AuditEntry.objects.filter(action=AuditAction.CALENDAR_DAY_SET).order_by("id")
    assert [e.changes["is_working"] for e in entries] == [[None, True], [True, None]]
    assert all(e.actor == world.admin for e in entries)


def test_the_admin_history_button_shows_the_trail(world, web):
    org_services.unit_update(actor=world.admin, unit=world.commune, name="Phường Đồng Tâm mới")
    client = web.as_(world.admin)
    change_page = client.get(reverse("admin:org_unit_change", args=[world.commune.pk]))
    history_url = reverse("admin:org_unit_history", args=[world.commune.pk])
    assert history_url in change_page.content.decode()
    page = client.get(history_url).content.decode()
    assert "Sửa đơn vị" in page and "Phường Đồng Tâm mới" in page and world.admin.username in page


def test_admin_membership_inline_goes_through_the_service(world, web):
    client = web.as_(world.admin)
    url = reverse("admin:org_user_change", args=[world.colleague.pk])
    page = client.get(url)
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k not in ("password", "groups")}
    data.update(
        {
            "username": world.colleague.username,
            "date_joined_0": "01/01/2026",
            "date_joined_1": "08:00:00",
            "language": "vi",
            "is_active": "on",
            "memberships-TOTAL_FORMS": "2",
            "memberships-INITIAL_FORMS": "1",
            "memberships-0-id": str(Membership.objects.get(user=world.colleague).pk),
            "memberships-0-user": str(world.colleague.pk),
            "memberships-0-unit": str(world.commune.pk),
            "memberships-0-role": "official",
            "memberships-1-user": str(world.colleague.pk),
            "memberships-1-unit": str(world.other_commune.pk),
            "memberships-1-role": "leader",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    (added,) = _entries(world.colleague, AuditAction.MEMBERSHIP_ADDED)[:1]
    assert added.unit == world.other_commune and added.actor == world.admin
    assert Membership.objects.filter(user=world.colleague, unit=world.other_commune, role="leader").exists()


def test_plan_admin_action_issues_through_the_service(world, web):
    plan = plan_services.plan_create(
        actor=world.city_leader, owner_unit=world.city, number="98/KH", title="Kế hoạch C", year=2026
    )
    client = web.as_(world.admin)
    response = client.post(
        reverse("admin:plans_plan_changelist"),
        {"action": "issue_plans", "_selected_action": [plan.pk, world.plan.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert "Đã ban hành 1 kế hoạch." in page
    assert world.plan.number in page  # the already issued one is refused with its reason
    (issued,) = _entries(plan, AuditAction.PLAN_ISSUED)
    assert issued.actor == world.admin
