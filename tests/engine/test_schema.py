"""The committed JSON Schema equals what the models generate; packs validate; registry is whole."""

from __future__ import annotations

import json
import pkgutil
from typing import get_args

import jsonschema
import pytest

import regulens.engine.checks as checks_pkg
from regulens.documents import load_documents
from regulens.engine.checks import CHECK_TYPES, Check
from regulens.policies import builtin_files, builtin_packs
from regulens.schemas import SCHEMAS, committed, render


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_committed_schema_has_not_drifted(name: str) -> None:
    assert committed(name) == json.loads(render(SCHEMAS[name], name)), (
        f"{name} drifted from the models: run `make schema` and commit"
    )


def test_builtin_packs_validate_against_schema() -> None:
    schema = committed("policy.schema.json")
    validator = jsonschema.Draft202012Validator(schema)
    packs = builtin_packs()
    assert "ops-baseline" in packs
    count = 0
    for pack in packs:
        # every file, also those of sub-pack directories
        for label, text in builtin_files(pack):
            for doc in load_documents(label, text):
                errors = list(validator.iter_errors(doc.data))
                assert not errors, f"{label}: {errors[0].message}"
                count += 1
    assert count >= 1


def test_every_check_module_is_registered() -> None:
    modules = {m.name for m in pkgutil.iter_modules(checks_pkg.__path__) if m.name not in ("base",)}
    registered = {c.__module__.rsplit(".", 1)[1] for c in CHECK_TYPES}
    assert modules == registered


@pytest.mark.parametrize("check", CHECK_TYPES, ids=lambda c: c.__name__)
def test_check_meta(check: type[Check]) -> None:
    (type_name,) = get_args(check.model_fields["type"].annotation)
    # one name per concept: type `backup-recency` lives in backup_recency.py
    assert check.__module__.rsplit(".", 1)[1] == type_name.replace("-", "_")
    assert check.model_config.get("extra") == "forbid"
    assert check.model_config.get("frozen") is True
    assert check.__doc__ and check.__doc__.strip().splitlines()[0].endswith(".")
    assert check.evaluate is not Check.evaluate
    schema = check.model_json_schema()
    assert schema.get("additionalProperties") is False
