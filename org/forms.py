"""Sign-in and password forms: Django's own, with the page's look (labels and help in Vietnamese)."""

from __future__ import annotations

from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .sso import refusal


class SignInForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Tên đăng nhập")
        self.fields["password"].label = _("Mật khẩu")
        self.fields["username"].widget.attrs.update({"autocapitalize": "none", "autocomplete": "username"})

    def get_invalid_login_error(self):
        # The province's directory knew the password but no account here is linked to it (org.sso): say so.
        reason = refusal(self.request)
        return ValidationError(reason, code="sso_unlinked") if reason else super().get_invalid_login_error()


class ChangePasswordForm(PasswordChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = _("Mật khẩu hiện tại")
        self.fields["new_password1"].label = _("Mật khẩu mới")
        self.fields["new_password2"].label = _("Nhập lại mật khẩu mới")
