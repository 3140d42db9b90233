"""`review sign`: into the reviewed stream, signed like it, one per month and reviewer."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest

from regulens.errors import ConfigError
from regulens.evidence import Signer, open_store
from tests.evidence.helpers import fill
from tests.reports.month import STREAM, Month, fill_month, run_cli


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Month:
    from tests.conftest import EXAMPLES

    return fill_month(EXAMPLES, tmp_path_factory.mktemp("signoff"), days=2)


def _copy(month: Month, tmp_path: Path) -> str:
    copy = tmp_path / "evidence.db"
    copy.write_bytes(Path(month.url.removeprefix("sqlite:///")).read_bytes())
    return f"sqlite:///{copy}"


def _sign(url: str, *extra: str, reviewer: str = "dana@example.com") -> int:
    return run_cli(
        "review", "sign", "--evidence", url, "--month", "2026-11", "--reviewer", reviewer,
        "--date", "2026-12-02", "--stream", STREAM, *extra,
    )  # fmt: skip


def _verify(url: str, month: Month) -> int:
    return run_cli("evidence", "verify", "--evidence", url, "--public-key", str(month.public_key))


def _in_force(url: str, tmp_path: Path, *extra: str) -> list[dict[str, object]]:
    out = tmp_path / "review.json"
    code = run_cli(
        "review", "--evidence", url, "--month", "2026-11", "--format", "json", "-o", str(out),
        "--force", *extra,
    )  # fmt: skip
    assert code == 0
    signoffs: list[dict[str, object]] = orjson.loads(out.read_bytes())["signoff"]["signoffs"]
    return signoffs


def test_an_unsigned_signoff_cannot_poison_a_signed_stream(
    signed: Month, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = _copy(signed, tmp_path)
    assert _sign(url) == 3
    assert "pass --signing-key" in capsys.readouterr().err
    # nor into a stream of its own: the store's key-checked verification covers every stream
    assert _sign(url, "--stream", "reviews") == 3
    assert _verify(url, signed) == 0  # nothing was appended; key-checked verify still OK


def test_a_signoff_signed_by_another_key_is_refused(signed: Month, tmp_path: Path) -> None:
    url = _copy(signed, tmp_path)
    other = tmp_path / "other.pem"
    other.write_bytes(Signer.generate().private_pem())
    assert _sign(url, "--signing-key", str(other)) == 3
    assert _verify(url, signed) == 0


def test_one_signoff_per_month_and_reviewer_unless_it_supersedes(
    signed: Month, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = _copy(signed, tmp_path)
    key = ("--signing-key", str(signed.key))
    assert _sign(url, *key, "--notes", "first") == 0
    first = re.search(r"as run (\S+) ", capsys.readouterr().out)
    assert first is not None
    # the same reviewer, also when spelled with other case or fullwidth (NFKC) letters
    fullwidth = "\uff44\uff41\uff4e\uff41@example.com"
    for spelling in ("dana@example.com", "DANA@Example.com", fullwidth):
        assert _sign(url, *key, reviewer=spelling) == 3
        assert f"--supersedes {first.group(1)}" in capsys.readouterr().err
    assert _sign(url, *key, "--supersedes", "no-such-run") == 3
    assert _sign(url, *key, reviewer="erin@example.com") == 0  # another reviewer may sign
    assert _sign(url, *key, "--notes", "second", "--supersedes", first.group(1)) == 0
    second = re.search(r"as run (\S+) ", capsys.readouterr().out)
    assert second is not None
    assert _sign(url, *key, "--supersedes", first.group(1)) == 3  # already superseded
    assert _verify(url, signed) == 0
    shown = _in_force(url, tmp_path, "--stream", STREAM)
    assert sorted((s["reviewer"], s["notes"]) for s in shown) == [
        ("dana@example.com", "second"),
        ("erin@example.com", None),
    ]
    assert [s["supersedes"] for s in shown if s["reviewer"] == "dana@example.com"] == [
        first.group(1)
    ]
    md = tmp_path / "review.md"
    code = run_cli("review", "--evidence", url, "--month", "2026-11", "--format", "markdown",
                   "--stream", STREAM, "-o", str(md))  # fmt: skip
    assert code == 0
    text = md.read_text()
    assert f"supersedes `{first.group(1)}`" in text and "| first |" not in text


def test_the_signoff_belongs_to_the_reviewed_stream(signed: Month, tmp_path: Path) -> None:
    url = _copy(signed, tmp_path)
    assert _sign(url, "--signing-key", str(signed.key)) == 0
    assert [s["stream"] for s in _in_force(url, tmp_path, "--stream", STREAM)] == [STREAM]
    with open_store(url) as store:
        fill(store, 1, "staging")
    assert _in_force(url, tmp_path, "--stream", "staging") == []


def test_the_store_refuses_an_unsigned_record_after_a_signed_one(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'e.db'}") as store:
        fill(store, 2, "main", Signer.generate())
        with pytest.raises(ConfigError, match="holds signed records"):
            fill(store, 1, "main", prefix="unsigned")
        fill(store, 1, "main", Signer.generate(), prefix="rotated")  # a new key is fine
        assert [r.seq for r in store.records("main")] == [1, 2, 3]


@pytest.mark.parametrize(
    "reviewer", ["  ", "dana\u200b@example.com", "d\u0430na@example.com", "dana\x1b[2J@example.com"]
)
def test_a_blank_hidden_or_look_alike_reviewer_is_refused(
    signed: Month, tmp_path: Path, reviewer: str
) -> None:
    url = _copy(signed, tmp_path)
    assert _sign(url, "--signing-key", str(signed.key), reviewer=reviewer) == 3
    assert _in_force(url, tmp_path, "--stream", STREAM) == []
