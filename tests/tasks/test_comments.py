"""Comments on a task (ý kiến trao đổi): who may write them, what the body must be, which `@mentions` reach
someone (the people who can see the task, and only them), and how the body is drawn (escaped)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from org.models import User
from tasks import services
from tasks.mentions import mention_names, render_mentions
from tasks.models import COMMENT_MAX_LENGTH, Outbox, Task, TaskComment
from tasks.selectors import task_viewers_named
from tests.factories import user

pytestmark = pytest.mark.django_db


def add(actor, task, body):
    return services.task_comment_add(actor=actor, task=task, body=body)


def test_a_comment_is_kept_stripped_with_its_author_and_the_mentions_that_reach_someone(world):
    task = world.task("in_progress")
    added = add(world.official, task, "  Xin ý kiến @leader và @colleague về số liệu quý III.  \n")
    comment = TaskComment.objects.get()
    assert comment == added.comment
    assert comment.body == "Xin ý kiến @leader và @colleague về số liệu quý III."
    assert comment.author == world.official and comment.task_id == task.pk
    assert sorted(u.username for u in comment.mentions.all()) == ["colleague", "leader"]
    assert added.not_notified == ()


def test_names_nobody_has_and_people_who_cannot_see_the_task_are_not_mentioned_and_are_told(world):
    task = world.task("in_progress")
    added = add(world.official, task, "@leader @stranger @other @khongco @leader xem giúp")
    assert [u.username for u in added.comment.mentions.all()] == ["leader"]
    # In the order written, once each; an unknown name and an invisible person are told alike.
    assert added.not_notified == ("stranger", "other", "khongco")


def test_an_inactive_user_is_not_mentioned(world):
    task = world.task("in_progress")
    User.objects.filter(pk=world.colleague.pk).update(is_active=False)
    added = add(world.official, task, "@colleague")
    assert added.not_notified == ("colleague",) and not added.comment.mentions.exists()


def test_a_mention_ignores_case_and_an_email_address_is_no_mention(world):
    task = world.task("in_progress")
    added = add(world.official, task, "Gửi @Leader. Bản chụp đã gửi về official@example.vn.")
    assert [u.username for u in added.comment.mentions.all()] == ["leader"]
    assert added.not_notified == ()
    assert mention_names("a@b.vn, (@x.y), @z. @z") == ["x.y", "z"]


def test_a_draft_is_seen_only_on_the_owner_side_so_the_assignee_official_cannot_be_mentioned(world):
    draft = world.task("draft")
    added = add(world.city_leader, draft, "@official @admin")
    assert [u.username for u in added.comment.mentions.all()] == ["admin"]  # a superuser sees everything
    assert added.not_notified == ("official",)


def test_who_can_be_mentioned_is_exactly_who_sees_the_task(world):
    everyone = list(User.objects.all())
    names = [u.username for u in everyone]
    for state in ("draft", "in_progress"):
        task = Task.objects.select_related("plan__owner_unit", "assignee_unit").get(pk=world.task(state).pk)
        seeing = {u.username for u in everyone if Task.objects.visible_to(u).filter(pk=task.pk).exists()}
        assert {u.username for u in task_viewers_named(task, names)} == seeing
        assert "stranger" not in seeing and "leader" in seeing


def test_the_body_is_required_and_has_a_length_limit(world):
    task = world.task("in_progress")
    for blank in ("", "   \n\t "):
        with pytest.raises(ValidationError) as exc:
            add(world.official, task, blank)
        assert exc.value.message_dict == {"body": ["Hãy nhập nội dung ý kiến."]}
    with pytest.raises(ValidationError) as exc:
        add(world.official, task, "x" * (COMMENT_MAX_LENGTH + 1))
    assert exc.value.message_dict == {"body": ["Ý kiến dài tối đa 4000 ký tự (hiện có 4001)."]}
    add(world.official, task, "x" * COMMENT_MAX_LENGTH)  # exactly the limit is fine
    assert TaskComment.objects.count() == 1


def test_someone_who_cannot_see_the_task_cannot_comment(world):
    task = world.task("in_progress")
    for who in (world.stranger, world.other_official, world.stranger_leader):
        with pytest.raises(PermissionDenied):
            add(who, task, "Tôi cũng muốn góp ý")
    assert not TaskComment.objects.exists()


def test_a_cancelled_task_takes_no_comment_but_an_approved_one_does(world):
    cancelled = world.task("cancelled")
    with pytest.raises(services.TaskTransitionError, match="Đã hủy"):
        add(world.city_leader, cancelled, "Còn cần không?")
    approved = world.task("approved")
    add(world.official, approved, "Đã gửi bản gốc về văn phòng @leader")
    assert TaskComment.objects.filter(task=approved).count() == 1


def test_the_comment_is_announced_through_the_outbox_with_its_id(world):
    task = world.task("in_progress")
    Outbox.objects.all().delete()
    added = add(world.official, task, "@leader")
    row = Outbox.objects.get()
    assert row.payload["action"] == "comment" and row.payload["comment_id"] == added.comment.pk
    assert row.payload["affects_score"] is False and row.payload["actor_id"] == world.official.pk


def test_the_body_is_drawn_escaped_with_the_mentions_highlighted():
    html = render_mentions('<script>alert("x")</script> @leader & @ghost\nhết', {"leader": "Lãnh đạo <b>"})
    assert "<script>" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert '<span class="mention" title="Lãnh đạo &lt;b&gt;">@leader</span>' in html
    assert "&amp; @ghost<br>hết" in html  # a name that reached no one stays text


def test_a_superuser_may_comment_anywhere_and_a_colleague_too(world):
    task = world.task("submitted")
    add(world.admin, task, "Kiểm tra")
    add(world.colleague, task, "Đã bổ sung")
    extra = user("province-official", memberships=[(world.province, "official")])
    add(extra, task, "Tỉnh theo dõi")  # an ancestor unit's member sees the task
    assert TaskComment.objects.filter(task=task).count() == 3
