"""Reading a grant file's bytes into plain data (YAML or JSON).

Dates and amounts stay strings here so that a malformed value is reported at its path
instead of failing the whole parse, and duplicate keys are reported instead of silently
keeping the last one.
"""

import json
import re
from typing import Any

import yaml
from django.utils.translation import gettext as _

from backend.common.nesting import json_depth
from backend.common.text import control_character_errors

from .errors import GrantFileError, GrantFileInvalid, format_path

# A real grant file is tens of kilobytes; anything this big is not one.
MAX_FILE_BYTES = 5 * 1024 * 1024
# A grant file nests four levels deep (work_packages[0].shares_eur.ACME); deeper than this is
# not one, and is refused before it is read into Python (whose readers recurse per level).
MAX_DEPTH = 32


class _TooDeep(Exception):
    def __init__(self, line: int | None = None):
        self.line = line


class _Mapping(dict):
    """A mapping that remembers keys it saw more than once."""

    duplicates: list[str]

    def __init__(self, pairs):
        super().__init__()
        self.duplicates = []
        for key, value in pairs:
            if key in self and key not in self.duplicates:
                self.duplicates.append(key)
            self[key] = value


class _Loader(yaml.SafeLoader):
    """The safe loader without YAML 1.1 timestamps (dates are validated as ISO strings later),
    without aliases (a grant file needs none, and they can expand without bound) and refusing
    mappings and lists nested more than MAX_DEPTH deep as it meets them (its composer recurses
    once per level: this stops it at MAX_DEPTH)."""

    _depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in a grant file", event.start_mark
            )
        if not self.check_event(yaml.MappingStartEvent, yaml.SequenceStartEvent):
            return super().compose_node(parent, index)
        if self._depth >= MAX_DEPTH:
            raise _TooDeep(self.peek_event().start_mark.line + 1)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


# YAML 1.1 reads yes/no/on/off as booleans, so Norway's code NO would become false; here only
# true and false are booleans (as in YAML 1.2), and dates stay text.
_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _Mapping:
    loader.flatten_mapping(node)
    pairs = []
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        pairs.append((key, loader.construct_object(value_node, deep=True)))
    return _Mapping(pairs)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_grant_file(content: bytes | str) -> dict[str, Any]:
    """Parse a grant file; raise GrantFileInvalid if it is not a YAML or JSON mapping."""
    if len(content) > MAX_FILE_BYTES:
        raise GrantFileInvalid(
            [
                GrantFileError(
                    "",
                    _("The file is larger than a grant file can be (at most %(limit)s bytes).")
                    % {"limit": MAX_FILE_BYTES},
                )
            ]
        )
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise GrantFileInvalid(
                [GrantFileError("", _("The file is not UTF-8 text, so not YAML or JSON."))]
            ) from None
    data = _parse_json(content) if content.lstrip().startswith("{") else _parse_yaml(content)
    if not isinstance(data, dict):
        raise GrantFileInvalid(
            [GrantFileError("", _("A grant file is a YAML or JSON mapping of keys to values."))]
        )
    duplicates = list(_duplicate_keys(data, ()))
    if duplicates:
        raise GrantFileInvalid(duplicates)
    # A NUL byte or another control character in a text, which the record cannot hold.
    controls = [GrantFileError(e.path, e.message) for e in control_character_errors(data)]
    if controls:
        raise GrantFileInvalid(controls)
    return _plain(data)


def _too_deep(line: int | None = None) -> GrantFileInvalid:
    if line is None:
        message = _(
            "The file is nested more than %(limit)s levels deep (mappings and lists); a grant "
            "file never is."
        ) % {"limit": MAX_DEPTH}
    else:
        message = _(
            "The file is nested more than %(limit)s levels deep (mappings and lists) at line "
            "%(line)s; a grant file never is."
        ) % {"limit": MAX_DEPTH, "line": line}
    return GrantFileInvalid([GrantFileError("", message)])


def _parse_json(content: str) -> Any:
    # Measured first: Python's JSON reader recurses once per level.
    if json_depth(content) > MAX_DEPTH:
        raise _too_deep()
    try:
        return json.loads(content, object_pairs_hook=_Mapping)
    except json.JSONDecodeError as error:
        raise GrantFileInvalid(
            [
                GrantFileError(
                    "",
                    _("Not valid JSON (line %(line)s, column %(column)s): %(problem)s")
                    % {"line": error.lineno, "column": error.colno, "problem": error.msg},
                )
            ]
        ) from None


def _parse_yaml(content: str) -> Any:
    try:
        return yaml.load(content, Loader=_Loader)
    except _TooDeep as deep:
        raise _too_deep(deep.line) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = (
            _("line %(line)s, column %(column)s")
            % {"line": mark.line + 1, "column": mark.column + 1}
            if mark
            else _("unknown position")
        )
        problem = getattr(error, "problem", None) or str(error)
        raise GrantFileInvalid(
            [
                GrantFileError(
                    "",
                    _("Not valid YAML (%(where)s): %(problem)s")
                    % {"where": where, "problem": problem},
                )
            ]
        ) from None


def _duplicate_keys(value: Any, path: tuple):
    if isinstance(value, _Mapping):
        for key in value.duplicates:
            yield GrantFileError(
                format_path((*path, key)), _("This key appears more than once in its mapping.")
            )
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _duplicate_keys(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _duplicate_keys(item, (*path, index))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
