"""The import contract in pyproject.toml names every app of the project, each in one layer, so that a new
app cannot escape the layering check by not being listed. (import-linter's own `exhaustive` option needs a
container package to enumerate, and our apps are top-level packages.)"""

import tomllib
from pathlib import Path

from django.apps import apps
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def our_apps() -> set[str]:
    return {app.name for app in apps.get_app_configs() if Path(app.path).parent == ROOT}


def test_every_app_is_one_layer_of_the_import_contract():
    linter = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    layers = next(c for c in linter["contracts"] if c["type"] == "layers")["layers"]
    named = [module.strip() for layer in layers for module in layer.split("|")]

    assert len(named) == len(set(named)), named
    assert set(named) == our_apps()
    assert set(linter["root_packages"]) == our_apps()
