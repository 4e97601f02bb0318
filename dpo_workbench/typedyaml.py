"""Typed YAML files: models declared as msgspec structs, every problem reported at once.

The settings file and the datamap are declared as :class:`Model` classes (msgspec
structs: typed, frozen, unknown keys refused). :func:`problems` walks the loaded
YAML against a model and lists **every** problem in words a DBA can act on (an
unknown key with the valid ones, a missing key, a value of the wrong kind, a
value out of range), each naming where it is; only when there is none does
:func:`convert` build the typed value. msgspec was chosen over heavier schema
libraries because the command line reads both files on every start: it imports
in milliseconds and validates in microseconds.

A field's ``Meta(extra={"hint": ..., "missing": ...})`` words what a value must be
and what to write when the key is missing.

:func:`load_yaml` is the one way both files are read: YAML's safe subset, with
every key given twice in one mapping refused (plain YAML loaders keep the later
value and drop the earlier one without a word).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import msgspec
import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node

if TYPE_CHECKING:
    import msgspec.inspect as mi

#: Where a value is, from its path of keys: ``("tables", "x", "key")`` -> text.
Where = Callable[[Sequence[str]], str]


class Model(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Base of every typed YAML section: frozen, unknown keys refused.

    A subclass whose required fields follow optional ones says ``kw_only=True``.
    """


#: The C parser when PyYAML was built with libyaml: it reads the demo datamap in
#: 0.8 ms against 7 ms for the pure-Python one. Construction is Python code in both,
#: so the duplicate check below keeps that speed (it adds well under a tenth).
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _UniqueKeyLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """The safe loader, noting every key that a mapping gives twice.

    YAML requires a mapping's keys to be unique, but PyYAML keeps the later value
    and silently drops the earlier one: a table declared twice under ``tables:``
    would vanish from search and erasure. The check runs where PyYAML builds each
    mapping, on keys it constructs (and caches) anyway, so the C parser's speed stays.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[int, str]] = []  # (line, problem)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:  # '<<: *base' may be overridden on purpose
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: PyYAML's own error says so below
                continue
            if first is None:
                seen[key] = _line(key_node)
                continue
            line = _line(key_node)
            lines = f"line {line}" if line == first else f"lines {first} and {line}"
            self.duplicates.append((line, (
                f"the key '{key}' is given twice in one mapping ({lines}); YAML would keep "
                "only the later one and silently drop the earlier. Remove one, or rename it "
                "if both are meant.")))
        return super().construct_mapping(node, deep=deep)


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def load_yaml(text: str) -> Any:
    """The data of a YAML document, in YAML's safe subset, refusing duplicate keys.

    Raises
    ------
    yaml.YAMLError
        The text is not YAML, or a mapping gives a key twice (every such key is
        named, with both line numbers).

    Examples
    --------
    >>> load_yaml("tables:\\n  a: 1\\n  b: 2\\n")
    {'tables': {'a': 1, 'b': 2}}
    >>> load_yaml("tables:\\n  a: 1\\n  a: 2\\n")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    yaml.constructor.ConstructorError: the key 'a' is given twice in one mapping (lines 2 and 3)...
    """
    loader = _UniqueKeyLoader(text)
    try:
        data = loader.get_single_data()
    finally:
        loader.dispose()
    if loader.duplicates:
        # In the order of the file: PyYAML builds inner mappings before outer ones.
        raise ConstructorError(problem="\n".join(p for _, p in sorted(loader.duplicates)))
    return data


def dotted(path: Sequence[str]) -> str:
    """The path as ``a.b.c`` (the top level as ``top level``)."""
    return ".".join(path) or "top level"


def problems(raw: Any, model: type[Model], where: Where = dotted) -> list[str]:
    """Every problem of ``raw`` (loaded YAML) against ``model``, in words.

    Examples
    --------
    >>> class Top(Model):
    ...     datamap: str
    ...     digits: int = 7
    >>> problems({"digits": "seven", "digit": 7}, Top)  # doctest: +NORMALIZE_WHITESPACE
    ["top level: unknown key 'digit' (valid keys: datamap, digits).",
     "top level: the key 'datamap' is missing.",
     'digits must be a whole number, not str.']
    """
    if _accepted(raw, model):
        return []  # the common case, in microseconds: nothing to word
    out: list[str] = []
    _walk(raw, _type_info(model), (), where, out)
    return out


def convert(raw: Any, model: type[Any]) -> Any:
    """Build the typed value of ``raw`` (check :func:`problems` first).

    Empty sections (``search:`` with nothing under it) are their defaults; names
    given as numbers (``key: 1``) are texts.
    """
    try:
        return msgspec.convert(raw, model, str_keys=True)  # nothing to clean: the common case
    except msgspec.ValidationError:
        return msgspec.convert(_clean(raw, _type_info(model)), model, str_keys=True)


def _accepted(raw: Any, model: type[Any]) -> bool:
    """Whether msgspec takes ``raw`` as it is (then the walk would find no problem)."""
    try:
        msgspec.convert(raw, model, str_keys=True)
    except msgspec.ValidationError:
        return False
    return True


@functools.cache
def _type_info(model: type[Any]) -> mi.Type:
    """msgspec's description of a model (built once: it takes milliseconds).

    Every walk over a model starts here, so :mod:`msgspec.inspect` (milliseconds to
    import) is loaded only when a file has something to clean or a problem to word.
    """
    global mi
    import msgspec.inspect as mi

    return mi.type_info(model)


# --------------------------------------------------------------------------------------


def _meta(t: mi.Type) -> tuple[mi.Type, dict[str, Any]]:
    extra: dict[str, Any] = {}
    while isinstance(t, mi.Metadata):
        extra.update(t.extra or {})
        t = t.type
    return t, extra


def _is_name(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _clean(value: Any, t: mi.Type) -> Any:
    """``value`` with empty sections as mappings and numbers as names where text is wanted."""
    t, _ = _meta(t)
    if isinstance(t, mi.StructType):
        if value is None:
            return {}
        fields = {f.encode_name: f.type for f in t.fields}
        return {k: _clean(v, fields[k]) if k in fields else v for k, v in value.items()}
    if isinstance(t, mi.DictType):
        return {str(k): _clean(v, t.value_type) for k, v in (value or {}).items()}
    if isinstance(t, mi.ListType | mi.VarTupleType):
        return [_clean(v, t.item_type) for v in (value or [])]
    if isinstance(t, mi.StrType) and _is_name(value):
        return str(value)
    if isinstance(t, mi.UnionType):
        for alt in t.types:
            if _fits(value, alt):
                return _clean(value, alt)
    return value


def _fits(value: Any, t: mi.Type) -> bool:
    out: list[str] = []
    _walk(value, t, (), dotted, out)
    return not out


def _walk(value: Any, t: mi.Type, path: tuple[str, ...], where: Where, out: list[str]) -> None:
    t, extra = _meta(t)
    if isinstance(t, mi.StructType):
        _walk_struct(value, t, path, where, out)
    elif isinstance(t, mi.DictType):
        if value is None:
            return
        if not isinstance(value, dict):
            out.append(f"{where(path)} must be a mapping (key: value lines).")
            return
        for k, v in value.items():
            _walk(v, t.value_type, (*path, str(k)), where, out)
    elif isinstance(t, mi.ListType | mi.VarTupleType):
        if value is None:
            return
        if not isinstance(value, list):
            out.append(f"{where(path)} must be {extra.get('hint', 'a list')}.")
            return
        for i, v in enumerate(value):
            _walk(v, t.item_type, (*path, str(i)), where, out)
    elif isinstance(t, mi.UnionType):
        if not any(_fits(value, alt) for alt in t.types):
            out.append(f"{where(path)} must be {extra.get('hint') or _union_hint(t)}.")
    else:
        problem = _leaf_problem(value, t)
        if problem:
            out.append(_leaf_message(value, t, path, where, problem, extra))


def _walk_struct(value: Any, t: mi.StructType, path: tuple[str, ...], where: Where,
                 out: list[str]) -> None:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        out.append(f"{where(path)} must be a mapping (key: value lines).")
        return
    fields = {f.encode_name: f for f in t.fields}
    for k in value:
        if k not in fields:
            out.append(f"{where(path)}: unknown key '{k}' (valid keys: "
                       f"{', '.join(sorted(fields))}).")
    for name, f in fields.items():
        if name in value:
            _walk(value[name], f.type, (*path, name), where, out)
        elif f.required:
            hint = _meta(f.type)[1].get("missing")
            out.append(f"{where(path)}: the key '{name}' is missing"
                       + (f": {hint}" if hint else "."))


def _union_hint(t: mi.UnionType) -> str:
    return " or ".join(_hint(_meta(alt)[0]) for alt in t.types)


def _hint(t: mi.Type) -> str:
    hints = {mi.StrType: "a text", mi.IntType: "a whole number", mi.FloatType: "a number",
             mi.BoolType: "true or false", mi.NoneType: "empty", mi.ListType: "a list",
             mi.DictType: "a mapping", mi.StructType: "a mapping"}
    if isinstance(t, mi.LiteralType):
        return "one of " + ", ".join(str(v) for v in t.values)
    return hints.get(type(t), "a value")


def _leaf_problem(value: Any, t: mi.Type) -> str | None:
    """Why ``value`` is not of the leaf type ``t`` ("type", "range", "empty"), or None."""
    if isinstance(t, mi.AnyType):
        return None
    if isinstance(t, mi.NoneType):
        return None if value is None else "type"
    if isinstance(t, mi.LiteralType):
        return None if value in t.values else "literal"
    if isinstance(t, mi.StrType):
        if not _is_name(value):
            return "type"
        return "empty" if t.min_length and len(str(value)) < t.min_length else None
    if isinstance(t, mi.BoolType):
        return None if isinstance(value, bool) else "type"
    if isinstance(t, mi.IntType | mi.FloatType):
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or (isinstance(t, mi.IntType) and not float(value).is_integer()) \
                or not math.isfinite(value):
            return "type"
        low = t.ge if t.ge is not None else t.gt
        high = t.le if t.le is not None else t.lt
        if (t.ge is not None and value < t.ge) or (t.gt is not None and value <= t.gt) \
                or (t.le is not None and value > t.le) or (t.lt is not None and value >= t.lt):
            return f"range:{low}:{high}:{t.gt is not None}"
        return None
    return None if not isinstance(value, dict | list) else "type"


def _leaf_message(value: Any, t: mi.Type, path: tuple[str, ...], where: Where, problem: str,
                  extra: dict[str, Any]) -> str:
    if problem == "literal":
        assert isinstance(t, mi.LiteralType)
        return f"{where(path[:-1])}: {path[-1]} '{value}' is not one of " \
               f"{', '.join(str(v) for v in t.values)}."
    if problem == "empty":
        return f"{where(path)} must not be empty."
    if problem.startswith("range:"):
        _, low, high, exclusive = problem.split(":")
        if low != "None" and high != "None":
            return f"{where(path)} must be between {low} and {high}."
        if low != "None":
            return f"{where(path)} must be {'more than' if exclusive == 'True' else 'at least'} " \
                   f"{low}."
        return f"{where(path)} must be at most {high}."
    hint = extra.get("hint") or _hint(t)
    return f"{where(path)} must be {hint}, not {type(value).__name__}."
