"""API authentication: DRF's tokens, expiring (SPEC §1). Its own module, free of views: DRF imports it from
its settings while `rest_framework.views` is still loading."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from org import accounts


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, and a token older than API_TOKEN_DAYS (from `Token.created`) answers 401
    and is deleted."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if accounts.api_token_is_expired(token):
            accounts.api_token_end(token=token)
            raise exceptions.AuthenticationFailed(_("Mã truy cập đã hết hạn; hãy lấy mã mới."))
        return user, token
