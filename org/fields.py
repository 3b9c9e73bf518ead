"""Form fields every app's forms share."""

from __future__ import annotations

from django import forms


class CommaDecimalField(forms.DecimalField):
    """Accepts 97,5 (Vietnamese) as well as 97.5."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace(" ", "").replace(",", ".")
        return super().to_python(value)
