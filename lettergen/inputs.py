"""One letter's input file (YAML or JSON), read with bounds a hostile file cannot break.

* YAML aliases (``&a`` / ``*a``) are refused: letter data never needs them,
  and they are how a "billion laughs" file of a few hundred bytes expands to
  gigabytes;
* nesting deeper than ``[limits] max_depth`` (default 64) is refused with a
  clear message, long before Python's recursion limit (JSON nested 10,000
  deep, YAML 5,000 deep).
"""
from __future__ import annotations

import json
import re
from typing import Any

import yaml

from .errors import InputFileError

DEFAULT_MAX_DEPTH = 64
_JSON_TOKENS = re.compile(r'"(?:\\.|[^"\\])*"|[\[\]{}]')


class _Refused(Exception):
    def __init__(self, reason: str, mark=None):
        self.reason, self.mark = reason, mark


def _where(mark) -> str:
    return f"（第{mark.line + 1}行第{mark.column + 1}列）" if mark is not None else ""


def _bounded_loader(max_depth: int):
    class BoundedLoader(yaml.SafeLoader):
        depth = 0

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise _Refused(f"不支持 YAML 引用（别名 *{event.anchor}）：请把内容直接写出", event.start_mark)
            if self.check_event(yaml.MappingStartEvent, yaml.SequenceStartEvent):
                if self.peek_event().anchor is not None:
                    event = self.peek_event()
                    raise _Refused(f"不支持 YAML 锚点（&{event.anchor}）：请把内容直接写出", event.start_mark)
                self.depth += 1
                if self.depth > max_depth:
                    raise _Refused(f"嵌套层数超过 {max_depth} 层，信函数据不需要这么深", self.peek_event().start_mark)
                try:
                    return super().compose_node(parent, index)
                finally:
                    self.depth -= 1
            return super().compose_node(parent, index)

    return BoundedLoader


def _json_depth(text: str, max_depth: int) -> None:
    depth = 0
    for match in _JSON_TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > max_depth:
                line = text.count("\n", 0, match.start()) + 1
                raise _Refused(f"嵌套层数超过 {max_depth} 层（第{line}行附近），信函数据不需要这么深")
        elif token in "]}":
            depth -= 1


def parse_document(text: str, path: str, *, json_text: bool, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """The data in ``text`` (JSON or YAML); :class:`InputFileError` naming the problem and where."""
    try:
        if json_text:
            _json_depth(text, max_depth)
            return json.loads(text)
        return yaml.load(text, Loader=_bounded_loader(max_depth))  # noqa: S506 (a SafeLoader subclass)
    except _Refused as exc:
        raise InputFileError(path, exc.reason + _where(exc.mark)) from None
    except json.JSONDecodeError as exc:
        raise InputFileError(path, f"JSON 格式错误（第{exc.lineno}行第{exc.colno}列）：{exc.msg}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputFileError(path, f"YAML 格式错误{_where(mark)}：{getattr(exc, 'problem', exc)}") from None
    except RecursionError:  # backstop; the depth checks above come first
        raise InputFileError(path, "嵌套层数过多，无法读取") from None
