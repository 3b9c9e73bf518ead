"""API plumbing shared by every app: errors mapped once, pagination."""

from __future__ import annotations

import logging

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, DataError, IntegrityError, InterfaceError
from django.http import Http404
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from plans.services import PlanTransitionError
from scoring.services import RoundError
from tasks.services import TaskTransitionError

log = logging.getLogger(__name__)


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The object changed or is not in a state that allows this."
    default_code = "conflict"


def validation_error_dict(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        # Model-wide errors (Django's "__all__") under DRF's name for them, as serializers report them.
        return {
            ("non_field_errors" if field == NON_FIELD_ERRORS else field): [str(m) for m in msgs]
            for field, msgs in exc.message_dict.items()
        }
    return {"non_field_errors": [str(m) for m in exc.messages]}


def exception_handler(exc, context):
    """Domain errors → HTTP: validation 400 {field: [message]}, permission 403, state or concurrency 409.
    A database error never becomes a 500 with a traceback."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_error_dict(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) if getattr(exc, "user_message", False) else None)
    elif isinstance(exc, TaskTransitionError | PlanTransitionError | RoundError | TransitionNotAllowed):
        exc = Conflict(str(exc))
    elif isinstance(exc, ConcurrentTransition):
        exc = Conflict("Someone else changed this task at the same time; reload and try again.")
    elif isinstance(exc, DataError):  # a value PostgreSQL refuses: a number out of range, a NUL character
        log.warning("data error answered 400: %s", exc)
        exc = exceptions.ValidationError(
            {"non_field_errors": ["A value in the request is out of range or not allowed."]}
        )
    elif isinstance(exc, IntegrityError):
        log.warning("integrity error answered 409: %s", exc)
        exc = Conflict("This conflicts with existing data (it may already exist).")
    elif isinstance(exc, DatabaseError | InterfaceError):  # InterfaceError: the connection is gone
        log.exception("database error")
        return Response(
            {"detail": "The database is unavailable; nothing was changed. Try again."},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
    response = drf_exception_handler(exc, context)
    return response
