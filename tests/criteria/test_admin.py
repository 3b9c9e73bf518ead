"""The criteria-set admin: a set is looked up and renamed there, never added or changed criterion by
criterion, and only those who run it edit or delete it, whatever Django permissions a staff account holds."""

from __future__ import annotations

import pytest
from django.test import Client

from criteria.models import CriteriaSet
from tests.factories import criteria_set_from, user
from tests.scoring.sets import SET_2026

pytestmark = pytest.mark.django_db


def test_a_criteria_set_keeps_what_decides_its_scores_in_the_admin(world):
    cs = criteria_set_from(SET_2026)
    web = Client()
    web.force_login(world.admin)
    html = web.get(f"/admin/criteria/criteriaset/{cs.pk}/change/").content.decode()
    assert 'name="name"' in html  # the name may be corrected
    for field in ("year", "unit_kind", "period_start", "period_end", "code"):
        assert f'name="{field}"' not in html, field  # shown, not editable
    assert str(cs.year) in html
    assert web.get("/admin/criteria/criteriaset/add/").status_code == 403


def _change_form_data(response, **changes) -> dict:
    """What the change page would post back: its fields and its inline's management form, then `changes`."""
    form = response.context["adminform"].form
    data = {name: form.initial.get(name, "") for name in form.fields}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update({f"{formset.prefix}-{k}": v for k, v in formset.management_form.initial.items()})
        for sub in formset.forms:
            data[f"{sub.prefix}-id"] = sub.instance.pk
            data[f"{sub.prefix}-{formset.fk.name}"] = formset.instance.pk
    data.update(changes)
    return data


def test_a_staff_account_with_every_criteria_and_scoring_permission_still_cannot_edit_a_set_without_owner(
    world,
):
    """Editing or deleting a criteria set is running it (SPEC §1): a set with no owner unit is a
    superuser's, whatever Django permissions a province administrator's staff account was given."""
    from django.contrib.auth.models import Permission

    cs = criteria_set_from(SET_2026)
    staff = user("quantri.tinh", memberships=[(world.province, "admin")])
    staff.is_staff = True
    staff.save()
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["criteria", "scoring"]))
    superuser = Client()
    superuser.force_login(world.admin)
    web = Client()
    web.force_login(staff)
    page = f"/admin/criteria/criteriaset/{cs.pk}/"

    assert web.get(f"{page}change/").status_code == 200  # looked up
    data = _change_form_data(superuser.get(f"{page}change/"), name="Bộ tiêu chí của tôi")
    assert web.post(f"{page}change/", data).status_code == 403
    assert web.post(f"{page}delete/", {"post": "yes"}).status_code == 403
    cs.refresh_from_db()
    assert cs.name != "Bộ tiêu chí của tôi"

    # the same post by a superuser is saved: the refusal above is the permission, not a bad form
    assert superuser.post(f"{page}change/", data).status_code == 302
    assert CriteriaSet.objects.get(pk=cs.pk).name == "Bộ tiêu chí của tôi"


def test_import_rename_and_delete_of_a_set_are_in_its_audit_trail(world):
    from org.models import AuditAction, AuditEntry

    cs = criteria_set_from(SET_2026)
    web = Client()
    web.force_login(world.admin)
    page = f"/admin/criteria/criteriaset/{cs.pk}/"
    response = web.post(f"{page}change/", _change_form_data(web.get(f"{page}change/"), name="Bộ chỉ số mới"))
    assert response.status_code == 302
    history = web.get(f"{page}history/").content.decode()
    assert "Nhập bộ tiêu chí" in history and "Sửa bộ tiêu chí" in history and "Bộ chỉ số mới" in history
    (renamed,) = AuditEntry.objects.about(cs).filter(action=AuditAction.CRITERIA_SET_CHANGED)
    assert renamed.actor == world.admin and renamed.changes["name"][1] == "Bộ chỉ số mới"

    assert web.post(f"{page}delete/", {"post": "yes"}).status_code == 302
    assert not CriteriaSet.objects.filter(pk=cs.pk).exists()
    deleted = AuditEntry.objects.filter(action=AuditAction.CRITERIA_SET_DELETED, subject_id=cs.pk).get()
    assert deleted.actor == world.admin and deleted.subject_repr.endswith("Bộ chỉ số mới")
