"""Reference checks on OSCAL documents: every uuid a document refers to is defined in it."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import orjson

REF_KEYS = {
    "subject-uuid",
    "observation-uuid",
    "party-uuid",
    "component-uuid",
    "actor-uuid",
    "finding-uuid",
    "task-uuid",
    "risk-uuid",
    "response-uuid",
}


def _walk(node: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield k, v
            yield from _walk(v, k)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item, key)


def dangling_references(document: dict[str, Any]) -> list[str]:
    """References (uuid fields, `party-uuids`, `#uuid` hrefs, role ids) with no definition,
    and uuids defined twice.
    """
    every = [v for k, v in _walk(document) if k == "uuid" and isinstance(v, str)]
    defined = set(every)
    roles = {v["id"] for k, vs in _walk(document) if k == "roles" for v in vs}
    missing = [f"uuid {u} defined twice" for u in sorted(defined) if every.count(u) > 1]
    for k, v in _walk(document):
        if k in REF_KEYS and v not in defined:
            missing.append(f"{k} {v}")
        elif k == "party-uuids":
            missing.extend(f"party-uuids {p}" for p in v if p not in defined)
        elif k == "href" and isinstance(v, str) and v.startswith("#") and v[1:] not in defined:
            missing.append(f"href {v}")
        elif k == "role-id" and v not in roles:
            missing.append(f"role-id {v}")
    return missing


def resolve_import_ap(results: dict[str, Any]) -> tuple[bytes, dict[str, Any]]:
    """Follow `import-ap` to the back-matter resource and decode the plan it carries."""
    document = results["assessment-results"]
    href = document["import-ap"]["href"]
    assert href.startswith("#"), href
    (resource,) = [r for r in document["back-matter"]["resources"] if r["uuid"] == href[1:]]
    raw = base64.b64decode(resource["base64"]["value"], validate=True)
    plan: dict[str, Any] = orjson.loads(raw)
    assert set(plan) == {"assessment-plan"}
    return raw, plan
