"""Validate a parsed document into a strict pydantic model, with located, human errors."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any, TypeVar, Union, get_args, get_origin

import orjson
from pydantic import BaseModel, ValidationError

from regulens.documents.strict_yaml import Document, Path
from regulens.errors import DocumentError, Problem

M = TypeVar("M", bound=BaseModel)


def validate_document(doc: Document, model: type[M]) -> M:
    """Validate `doc` into `model` (JSON-mode strict), or raise `DocumentError`."""
    try:
        payload = orjson.dumps(doc.data)
    except TypeError as exc:  # pragma: no cover - the strict reader yields JSON types only
        raise DocumentError([doc.problem((), f"not representable as JSON: {exc}")]) from None
    try:
        return model.model_validate_json(payload, strict=True)
    except ValidationError as exc:
        raise DocumentError(problems_from(exc, doc, model)) from None


def problems_from(exc: ValidationError, doc: Document, model: type[BaseModel]) -> list[Problem]:
    """Translate pydantic errors into located problems, one per distinct place."""
    problems: list[Problem] = []
    seen: set[tuple[Path, str]] = set()
    errors = exc.errors(include_url=False)
    located = [(_data_path(doc.data, err["loc"]), err) for err in errors]
    deepest = [path for path, _ in located]
    for path, err in located:
        if err["type"] == "too_short" and any(
            len(other) > len(path) and other[: len(path)] == path for other in deepest
        ):
            continue  # a side effect of an invalid item; the item's own error says why
        message = _message(err, doc, path, model)
        if (path, message) in seen:
            continue
        seen.add((path, message))
        problems.append(doc.problem(path, message, at_key=err["type"] == "extra_forbidden"))
    return problems


def _data_path(data: Any, loc: tuple[int | str, ...]) -> Path:
    """Drop pydantic's union-tag and wrapper elements so `loc` names a place in the data."""
    path: list[str | int] = []
    node = data
    for elem in loc:
        if isinstance(node, dict):
            if isinstance(elem, str) and elem in node:
                path.append(elem)
                node = node[elem]
                continue
            if isinstance(elem, str) and node.get("type") == elem:
                continue  # discriminated-union tag
            if isinstance(elem, str) and "[" in elem:
                continue  # e.g. "function-after[...]" wrappers
            path.append(elem)
            node = None
        elif isinstance(node, list) and isinstance(elem, int) and 0 <= elem < len(node):
            path.append(elem)
            node = node[elem]
        elif isinstance(elem, str) and ("[" in elem or elem.startswith("function-")):
            continue
        else:
            path.append(elem)
            node = None
    return tuple(path)


def _message(err: Any, doc: Document, path: Path, model: type[BaseModel]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        name = str(path[-1]) if path else ""
        allowed = _fields_at(model, doc.data, path[:-1])
        hint = _did_you_mean(name, allowed)
        return f"unknown field {name!r}{hint}"
    if kind == "missing":
        return "required field is missing"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        expected = err.get("ctx", {}).get("expected_tags", "")
        tags = [t.strip().strip("'") for t in str(expected).split(",") if t.strip()]
        got = err.get("ctx", {}).get("tag", "")
        if kind == "union_tag_not_found":
            return f"'type' is required; one of: {', '.join(tags)}"
        return f"unknown type {got!r}{_did_you_mean(str(got), tags)}"
    message = str(err["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    text = doc.plain_text.get(path)
    if text is not None and kind in ("string_type", "literal_error", "enum"):
        message += f" (the unquoted value {text} was read as a number or boolean; quote it)"
    elif kind not in ("value_error", "assertion_error") and "input" in err:
        message += f", got {_short(err['input'])}"
    return message


def _short(value: Any) -> str:
    text = orjson.dumps(value).decode() if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _did_you_mean(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    if candidates and len(candidates) <= 12:
        return f"; expected one of: {', '.join(sorted(candidates))}"
    return ""


def _fields_at(model: type[BaseModel], data: Any, path: Path) -> list[str]:
    """Return the field names (by alias) accepted by the model found at `path` in `data`."""
    current: Any = model
    node = data
    for elem in path:
        current = _descend(current, node, elem)
        if isinstance(node, dict) and isinstance(elem, str):
            node = node.get(elem)
        elif isinstance(node, list) and isinstance(elem, int) and 0 <= elem < len(node):
            node = node[elem]
        else:
            node = None
        if current is None:
            return []
    current = _unwrap(current, node)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def _unwrap(tp: Any, node: Any) -> Any:
    """Strip Optional/Annotated and pick the union member the data's `type` tag selects."""
    while True:
        origin = get_origin(tp)
        if origin is typing.Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(tp) if a is not type(None)]
            tag = node.get("type") if isinstance(node, dict) else None
            chosen = [m for m in members if _tag_of(m) == tag] if tag is not None else []
            if chosen:
                tp = chosen[0]
            elif len(members) == 1:
                tp = members[0]
            else:
                models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
                return models[0] if len(models) == 1 else None
        else:
            return tp


def _tag_of(member: Any) -> Any:
    if isinstance(member, type) and issubclass(member, BaseModel):
        field = member.model_fields.get("type")
        if field is not None:
            args = get_args(field.annotation)
            return args[0] if args else None
    return None


def _descend(tp: Any, node: Any, elem: str | int) -> Any:
    tp = _unwrap(tp, node)
    if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(elem, str):
        for name, f in tp.model_fields.items():
            if (f.alias or name) == elem:
                return f.annotation
        return None
    origin = get_origin(tp)
    if origin in (list, tuple, set, frozenset) and isinstance(elem, int):
        args = get_args(tp)
        return args[0] if args else None
    if origin is dict and isinstance(elem, str):
        args = get_args(tp)
        return args[1] if len(args) == 2 else None
    return None
