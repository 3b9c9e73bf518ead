"""Reform plans (Kế hoạch CCHC): draft → issued → closed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from criteria.models import CriteriaSet
from org.scoping import ScopedQuerySet, subtree_q


class PlanState(models.TextChoices):
    DRAFT = "draft", _("Dự thảo")
    ISSUED = "issued", _("Đã ban hành")
    CLOSED = "closed", _("Đã kết thúc")


class PlanQuerySet(ScopedQuerySet):
    def scope_q(self, paths: list[str]) -> Q:
        """SPEC §1: a plan is visible (`visible_to`) when its owner unit, or the assignee unit of one of its
        tasks, lies in the subtree of a unit where the user holds a membership. A draft plan, and a task still
        in draft, stay on the owner's side (members of the owner unit or its ancestors) until issued or
        assigned."""
        owner_side = subtree_q("owner_unit__", paths)
        assignee_side = Q(pk__in=self._with_tasks_assigned_in(paths)) & ~Q(state=PlanState.DRAFT)
        return owner_side | assignee_side

    def _with_tasks_assigned_in(self, paths: list[str]):
        """Ids of plans with an assigned task in the subtrees at `paths`. The tasks are reached through the
        plan's reverse relation, and which of them count is the task queryset's rule (`assigned_in`): plans
        name no app above them."""
        tasks = self.model._meta.get_field("tasks").related_model.objects
        return tasks.assigned_in(paths).values("plan_id")


class Plan(ConcurrentTransitionMixin, models.Model):
    owner_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("đơn vị ban hành"), on_delete=models.PROTECT, related_name="plans"
    )
    number = models.CharField(_("số hiệu"), max_length=64, help_text=_("Ví dụ: 36/KH-UBND"))
    title = models.CharField(_("trích yếu"), max_length=500)
    year = models.PositiveSmallIntegerField(_("năm"))
    issued_on = models.DateField(_("ngày ban hành"), null=True, blank=True)
    criteria_set = models.ForeignKey(
        CriteriaSet,
        verbose_name=_("bộ tiêu chí"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plans",
    )
    state = FSMField(_("trạng thái"), default=PlanState.DRAFT, choices=PlanState.choices, protected=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("kế hoạch")
        verbose_name_plural = _("kế hoạch")
        ordering = ["-year", "owner_unit__code", "number"]
        constraints = [
            models.UniqueConstraint(fields=["owner_unit", "number", "year"], name="plans_plan_number_unique"),
            models.CheckConstraint(condition=Q(state__in=PlanState.values), name="plans_plan_state_valid"),
            models.CheckConstraint(condition=Q(year__gte=2000, year__lte=2100), name="plans_plan_year_range"),
        ]

    def __str__(self) -> str:
        return f"{self.number} — {self.title}"

    @transition(field=state, source=PlanState.DRAFT, target=PlanState.ISSUED)
    def issue(self):
        pass

    @transition(field=state, source=PlanState.ISSUED, target=PlanState.CLOSED)
    def close(self):
        pass
