"""A comment on the task page (ý kiến trao đổi)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import COMMENT_MAX_LENGTH


class CommentForm(forms.Form):
    """A comment on the task page (ý kiến trao đổi); `@username` mentions are found by the service."""

    body = forms.CharField(
        label=_("Ý kiến trao đổi"),
        max_length=COMMENT_MAX_LENGTH,
        help_text=_("Gõ @tên đăng nhập để nhắc và báo cho người đó (nếu họ xem được nhiệm vụ)."),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Hãy nhập nội dung ý kiến.")},
    )
