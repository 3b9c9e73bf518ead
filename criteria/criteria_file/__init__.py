"""Criteria-set files (Bộ tiêu chí): read a YAML file and check every invariant of
domain/criteria-format.md.

Pure: bytes or text in, a `CriteriaSetSpec` out, or one `CriteriaFileError` listing every problem found.
A file is taken whole or refused whole; the caller (`criteria.services.criteria_set_import`) writes the
set only from a spec.

What lives where (callers import from here):
- `spec`: what a checked file becomes (`CriteriaSetSpec`, `CriterionSpec`), `CriteriaFileError`, the
  format's fields and limits, and walks over a spec (`iter_nodes`, `leaves`, `node_defs`);
- `loading`: reading the YAML safely (size limit, SafeLoader, alias bombs and merge keys refused);
- `checker`: the set's fields and period and each criterion, depth first;
- `set_options`: the optional keys `owner` (a unit code, looked up by the import), `classes` and
  `adjustments`;
- `rule_checks`: a leaf's rule and its bands (a mixin of the checker);
- `values`: numbers as the file writes them and values as a message shows them.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from .checker import Checker
from .loading import MAX_YAML_NESTING, MAX_YAML_NODES, load_yaml
from .spec import (
    MAX_CRITERIA,
    MAX_DEPTH,
    MAX_REPORTED_ERRORS,
    CriteriaFileError,
    CriteriaSetSpec,
    CriterionSpec,
    iter_nodes,
    leaves,
    node_defs,
)

__all__ = [
    "MAX_CRITERIA",
    "MAX_DEPTH",
    "MAX_REPORTED_ERRORS",
    "MAX_YAML_NESTING",
    "MAX_YAML_NODES",
    "CriteriaFileError",
    "CriteriaSetSpec",
    "CriterionSpec",
    "iter_nodes",
    "leaves",
    "node_defs",
    "parse_criteria_file",
]


def parse_criteria_file(data: bytes | str, *, max_bytes: int = 1_000_000) -> CriteriaSetSpec:
    """Read and check a criteria-set file; raise CriteriaFileError listing every problem."""
    root = load_yaml(data, max_bytes=max_bytes)
    checker = Checker()
    spec = checker.check_set(root)
    if checker.errors:
        errors = checker.errors
        if len(errors) > MAX_REPORTED_ERRORS:
            hidden = len(errors) - MAX_REPORTED_ERRORS
            errors = errors[:MAX_REPORTED_ERRORS] + [_("… và %(count)s lỗi khác") % {"count": hidden}]
        raise CriteriaFileError(errors)
    assert spec is not None
    return spec
