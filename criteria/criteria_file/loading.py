"""Reading a criteria file's YAML safely.

PyYAML's SafeLoader only (the loader `yaml.safe_load` uses), after a size limit; the composed node graph
is then checked before any Python object is built: anchors and aliases are allowed (a set may share its
bands), but the document expanded through them must stay under `MAX_YAML_NODES` nodes and
`MAX_YAML_NESTING` levels, recursive aliases are refused, and merge keys (`<<`) are refused because PyYAML
flattens them eagerly, which an attacker can make exponential.
"""

from __future__ import annotations

from typing import Any

import yaml
from django.utils.translation import gettext as _

from .spec import CriteriaFileError

MAX_YAML_NODES = 100_000  # YAML nodes, counted with every alias expanded
MAX_YAML_NESTING = 40  # YAML levels; eight criteria levels with rules and bands need about 22
MERGE_TAG = "tag:yaml.org,2002:merge"


class _Refused(Exception):
    """A document refused before it is built (its message is the problem)."""


def load_yaml(data: bytes | str, *, max_bytes: int) -> Any:
    """The file's document as Python values; CriteriaFileError (one problem) if it cannot be read safely."""
    if isinstance(data, str):
        try:
            raw = data.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise CriteriaFileError(
                [_("tệp không phải văn bản hợp lệ: %(error)s") % {"error": exc}]
            ) from None
    elif isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
    else:
        raise TypeError("data must be bytes or str")
    if len(raw) > max_bytes:
        raise CriteriaFileError(
            [_("tệp có %(size)s byte, vượt giới hạn %(limit)s") % {"size": len(raw), "limit": max_bytes}]
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CriteriaFileError(
            [_("tệp không phải UTF-8 hợp lệ (byte %(position)s)") % {"position": exc.start}]
        ) from None
    # PyYAML skips a leading byte-order mark itself.

    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise _Refused(_("tệp rỗng"))
        _check_node_graph(node)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or str(exc)
        if mark is None:
            message = _("lỗi YAML: %(problem)s") % {"problem": problem}
        else:
            message = _("lỗi YAML ở dòng %(line)s, cột %(column)s: %(problem)s") % {
                "line": mark.line + 1,
                "column": mark.column + 1,
                "problem": problem,
            }
        raise CriteriaFileError([message]) from None
    except yaml.YAMLError as exc:
        raise CriteriaFileError([_("lỗi YAML: %(problem)s") % {"problem": exc}]) from None
    except RecursionError:
        raise CriteriaFileError([_("tệp lồng nhau quá sâu")]) from None
    except _Refused as exc:
        raise CriteriaFileError([str(exc)]) from None
    except (ValueError, TypeError, OverflowError) as exc:
        # e.g. a timestamp that matches YAML's pattern but is no real date (2020-02-30).
        raise CriteriaFileError([_("tệp có giá trị không đọc được: %(error)s") % {"error": exc}]) from None
    finally:
        loader.dispose()


def _check_node_graph(root: yaml.Node) -> None:
    """Refuse alias bombs, recursive aliases, merge keys and excessive nesting before constructing."""
    memo: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded size, height)
    in_progress: set[int] = set()

    def visit(node: yaml.Node, depth: int) -> tuple[int, int]:
        key = id(node)
        if key in memo:
            return memo[key]
        if key in in_progress:
            raise _Refused(_("tệp có bí danh đệ quy (anchor được dùng bên trong chính nó)"))
        if depth > MAX_YAML_NESTING:
            raise _Refused(_("tệp lồng nhau quá %(limit)s cấp") % {"limit": MAX_YAML_NESTING})
        in_progress.add(key)
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = []
            for key_node, value_node in node.value:
                if key_node.tag == MERGE_TAG:
                    raise _Refused(
                        _("dòng %(line)s: không dùng khóa gộp (<<); hãy ghi lại các trường")
                        % {"line": key_node.start_mark.line + 1}
                    )
                children += [key_node, value_node]
        else:
            children = []
        size, height = 1, 1
        for child in children:
            child_size, child_height = visit(child, depth + 1)
            size += child_size
            height = max(height, child_height + 1)
            if size > MAX_YAML_NODES:
                raise _Refused(
                    _("tệp bung ra hơn %(limit)s giá trị (quá nhiều bí danh?)") % {"limit": MAX_YAML_NODES}
                )
        in_progress.discard(key)
        memo[key] = (size, height)
        return size, height

    visit(root, 1)
