"""The record hash binds every field, unambiguously."""

from __future__ import annotations

import hashlib

from regulens.evidence.chain import DOMAIN_TAG, GENESIS, record_hash


def test_record_hash_is_the_documented_construction() -> None:
    expected = hashlib.sha256(
        DOMAIN_TAG
        + (4).to_bytes(4, "big")
        + b"prod"
        + (7).to_bytes(8, "big")
        + GENESIS
        + hashlib.sha256(b"{}").digest()
    ).digest()
    assert record_hash("prod", 7, GENESIS, b"{}") == expected


def test_every_field_changes_the_hash() -> None:
    base = record_hash("prod", 1, GENESIS, b"{}")
    variants = {
        record_hash("prod2", 1, GENESIS, b"{}"),
        record_hash("prod", 2, GENESIS, b"{}"),
        record_hash("prod", 1, b"\x01" * 32, b"{}"),
        record_hash("prod", 1, GENESIS, b"{ }"),
    }
    assert base not in variants and len(variants) == 4


def test_stream_name_is_length_prefixed() -> None:
    # Without the length prefix, stream "a" + seq bytes could collide with stream "a\x00...".
    one = record_hash("a", 1, GENESIS, b"x")
    other = record_hash("a\x00\x00\x00\x00\x00\x00\x00", 1, GENESIS, b"x")
    assert one != other
