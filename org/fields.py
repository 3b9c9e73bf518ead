"""Form fields every app's forms share."""

from __future__ import annotations

from django import forms


class CommaDecimalField(forms.DecimalField):
    """Accepts 97,5 (Vietnamese) as well as 97.5."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace(" ", "").replace(",", ".")
        return super().to_python(value)


def unit_label(code: str, name: str) -> str:
    """How every unit picker names a unit: its name, then its code ("Phường Đồng Tâm (X01)"): people know
    units by name, the files they import by code, and two communes may share a name in different districts."""
    return f"{name} ({code})"


class UnitChoiceField(forms.ModelChoiceField):
    """A unit picker: each option says the unit's name beside its code (`unit_label`)."""

    def label_from_instance(self, obj) -> str:
        return unit_label(obj.code, obj.name)


class UnitMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Several units, each named as `unit_label` does."""

    def label_from_instance(self, obj) -> str:
        return unit_label(obj.code, obj.name)
