"""Bundles: export, offline streaming verification, and rejection of malicious archives."""

from __future__ import annotations

import base64
import io
import itertools
import tarfile
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regulens.evidence import EvidenceStore, Signer, TrustedKeys, open_store
from regulens.evidence.bundle import BundleReport, Limits, export_bundle, verify_bundle
from regulens.evidence.checkpoint import make_checkpoint
from regulens.evidence.keys import public_pem
from regulens.evidence.verify import Status
from tests.evidence.helpers import fill
from tests.reports.month import run_cli

SIGNER = Signer.generate()
TRUSTED = TrustedKeys({SIGNER.key_id: SIGNER.public})


def export(store: EvidenceStore, **kw: str) -> bytes:
    out = io.BytesIO()
    export_bundle(store, out, SIGNER, created_at="2026-12-01T00:00:00Z", mtime=0, **kw)
    return out.getvalue()


def check(data: bytes, trusted: TrustedKeys = TRUSTED, **kw: object) -> BundleReport:
    return verify_bundle(io.BytesIO(data), trusted, **kw)  # type: ignore[arg-type]


@pytest.fixture
def filled(store: EvidenceStore) -> EvidenceStore:
    fill(store, 30, "prod", SIGNER)
    fill(store, 4, "staging", SIGNER)
    return store


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """One valid bundle (from SQLite) for the rejection tests."""
    with open_store(f"sqlite:///{tmp_path_factory.mktemp('bundle') / 'e.db'}") as store:
        fill(store, 30, "prod", SIGNER)
        fill(store, 4, "staging", SIGNER)
        return export(store)


def test_exported_bundle_verifies_with_only_the_public_key(filled: EvidenceStore) -> None:
    report = check(export(filled))
    assert report.ok, report
    assert [(r.stream, r.records) for r in report.streams] == [("prod", 30), ("staging", 4)]


def test_time_slice_verifies_from_its_first_seq(filled: EvidenceStore) -> None:
    # fill() records seq i at 02:00:i-1 (i.e. 02:00:00 + i-1 seconds)
    data = export(filled, stream="prod", since="2026-11-30T02:00:10Z", until="2026-11-30T02:00:20Z")
    report = check(data)
    assert report.ok, report
    assert report.manifest is not None
    (s,) = report.manifest["streams"]
    assert (s["first_seq"], s["last_seq"], s["count"]) == (11, 20, 10)


def test_bundle_with_a_stored_checkpoint_and_an_auditor_checkpoint(filled: EvidenceStore) -> None:
    head = list(filled.records("prod"))[-1].record_hash
    filled.add_checkpoint(make_checkpoint("prod", 30, head, "t", SIGNER), SIGNER)
    assert check(export(filled)).ok
    later = make_checkpoint("prod", 31, b"\x01" * 32, "t", SIGNER)  # the store had grown since
    report = check(export(filled), checkpoints=[later])
    assert (report.status, report.streams[0].seq) == ("TRUNCATED", 31)


def test_a_checkpoint_in_the_bundle_authenticates_the_records_it_covers(
    filled: EvidenceStore,
) -> None:
    head = list(filled.records("prod"))[19].record_hash
    filled.add_checkpoint(make_checkpoint("prod", 20, head, "t", SIGNER), SIGNER)
    data = export(filled, stream="prod", since="2026-11-30T02:00:10Z")  # seq 11..30
    (prod,) = check(data).streams
    assert (prod.status, prod.records, prod.checkpointed) == (Status.OK, 20, 10)
    (prod,) = check(data, every_signature=True).streams
    assert (prod.status, prod.checkpointed) == (Status.OK, 0)


def test_wrong_public_key_is_unknown_key(filled: EvidenceStore) -> None:
    other = Signer.generate()
    report = check(export(filled), TrustedKeys({other.key_id: other.public}))
    assert report.status == "UNKNOWN_KEY"


def test_changed_byte_in_records_is_rejected(sample: bytes) -> None:
    data = bytearray(sample)
    at = data.index(b'"seq":7,')
    data[at + 6] = ord("8")
    report = check(bytes(data))
    assert report.status == "REJECTED"
    assert "sha256 differs" in report.message


def _members(data: bytes) -> list[tuple[tarfile.TarInfo, bytes]]:
    out = []
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for m in tar.getmembers():
            f = tar.extractfile(m)
            out.append((m, f.read() if f else b""))
    return out


def _rebuild(members: list[tuple[tarfile.TarInfo, bytes]]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for info, body in members:
            tar.addfile(info, io.BytesIO(body) if info.isreg() else None)
    return out.getvalue()


def _member(
    name: str, kind: bytes = tarfile.REGTYPE, link: str = "", size: int = 0
) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.size = size
    return info


@pytest.mark.parametrize(
    ("evil", "reason"),
    [
        (_member("../escaped.txt", size=5), "path traversal"),
        (_member("keys/../../escaped.txt", size=5), "path traversal"),
        (_member("/tmp/regulens-escaped.txt", size=5), "absolute path"),
        (_member("escaped-link", tarfile.SYMTYPE, "/etc/passwd"), "links are not allowed"),
        (_member("hard", tarfile.LNKTYPE, "manifest.json"), "links are not allowed"),
        (_member("dev", tarfile.CHRTYPE), "device files"),
        (_member("fifo", tarfile.FIFOTYPE), "device files"),
        (_member("dir", tarfile.DIRTYPE), "only regular files"),
        (_member("manifest.json", size=5), "duplicate member"),
        (_member("extra.txt", size=5), "unexpected member"),
    ],
)
def test_malicious_members_are_rejected_without_writing(
    sample: bytes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    evil: tarfile.TarInfo,
    reason: str,
) -> None:
    work = tmp_path / "work" / "inner"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    members = _members(sample)
    members.insert(2, (evil, b"evil\n"))
    report = check(_rebuild(members))
    assert report.status == "REJECTED"
    assert reason in report.message
    assert not (tmp_path / "work" / "escaped.txt").exists()
    assert not Path("/tmp/regulens-escaped.txt").exists()
    assert list(work.iterdir()) == []


def _raw(members: list[tuple[tarfile.TarInfo, bytes]]) -> bytes:
    """Tar blocks for these members, without the end-of-archive marker."""
    out = []
    for info, body in members:
        out.append(info.tobuf(tarfile.GNU_FORMAT))
        out.append(body + b"\0" * (-len(body) % tarfile.BLOCKSIZE))
    return b"".join(out)


def test_hundred_thousand_members_are_rejected(sample: bytes) -> None:
    valid = _members(sample)
    blocks = [_raw(valid)]
    for i in range(100_000):
        blocks.append(tarfile.TarInfo(f"keys/{i:064x}.pem").tobuf(tarfile.USTAR_FORMAT))
    blocks.append(b"\0" * tarfile.RECORDSIZE)
    report = check(b"".join(blocks))
    assert report.status == "REJECTED"
    assert "unexpected member" in report.message  # after the manifest's files, nothing more


def test_member_count_limit(sample: bytes) -> None:
    data = sample
    assert check(data).ok
    report = check(data, limits=Limits(max_members=4))
    assert report.status == "REJECTED"
    assert "too many members (limit 4)" in report.message


def test_huge_member_is_rejected_before_reading(sample: bytes) -> None:
    valid = _members(sample)
    header = _member("records.jsonl", size=1 << 40).tobuf(tarfile.GNU_FORMAT)
    report = check(_raw(valid[:2]) + header + b"\0" * 1024)
    assert report.status == "REJECTED"
    assert "limit" in report.message


@pytest.mark.parametrize("data", [b"", b"not a tar at all" * 100])
def test_garbage_is_rejected(data: bytes) -> None:
    assert check(data).status == "REJECTED"


class _Counting(io.RawIOBase):
    """A file that counts the bytes read from it."""

    def __init__(self, path: Path) -> None:
        self.file = path.open("rb")
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self.file.readinto(buffer)
        self.read_bytes += n
        return n

    def close(self) -> None:
        self.file.close()
        super().close()


def _forged_bundle(
    path: Path, signer: Signer, records: bytes, files: list[Any] | None = None
) -> None:
    """A well-formed bundle whose records.jsonl is `records`, its manifest signed by `signer`."""
    import hashlib

    from regulens.evidence.canonical import canonical_json
    from regulens.evidence.keys import MANIFEST_SIG_TAG

    manifest = {
        "format": "regulens-evidence-bundle/v1",
        "created_at": "2026-12-01T00:00:00Z",
        "key_id": signer.key_id,
        "filters": {"stream": None, "since": None, "until": None},
        "streams": [{"stream": "prod", "first_seq": 1, "last_seq": 1, "count": 1,
                     "prev_hash": "00" * 32, "head_hash": "00" * 32}],
        "files": [
            {"name": "checkpoints.jsonl", "size": 0, "sha256": hashlib.sha256(b"").hexdigest()},
            {"name": "records.jsonl", "size": len(records),
             "sha256": hashlib.sha256(records).hexdigest()},
        ],
    }  # fmt: skip
    if files is not None:
        manifest["files"] = files
    body = canonical_json(manifest)
    signature = base64.b64encode(signer.sign(MANIFEST_SIG_TAG, body)) + b"\n"
    with tarfile.open(path, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in [("manifest.json", body), ("manifest.sig", signature),
                           ("checkpoints.jsonl", b""), ("records.jsonl", records)]:  # fmt: skip
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_unknown_key_is_rejected_before_any_member_is_read(tmp_path: Path) -> None:
    # One 64 MiB line signed by a key nobody trusts: today it was read (quadratically) first.
    path = tmp_path / "rogue.tar"
    _forged_bundle(path, Signer.generate(), b"a" * (64 << 20))
    source = _Counting(path)
    started = time.monotonic()
    with io.BufferedReader(source) as fh:
        report = verify_bundle(fh, TRUSTED)
    assert report.status == "UNKNOWN_KEY" and "unknown key" in report.message
    assert source.read_bytes < 1 << 20, source.read_bytes  # the manifest and signature only
    assert time.monotonic() - started < 2
    pub = tmp_path / "trusted.pub"
    pub.write_bytes(public_pem(SIGNER.public))
    assert run_cli("evidence", "verify-bundle", str(path), "--public-key", str(pub)) == 2


def test_an_overlong_line_is_rejected_as_soon_as_it_exceeds_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "long.tar"
    _forged_bundle(path, SIGNER, b"a" * (32 << 20))
    source = _Counting(path)
    with io.BufferedReader(source) as fh:
        report = verify_bundle(fh, TRUSTED, limits=Limits(max_line=1 << 20))
    assert report.status == "REJECTED" and "line longer than 1048576 bytes" in report.message
    assert source.read_bytes < 4 << 20, source.read_bytes


def test_an_oversized_member_of_a_real_file_is_rejected_unread(tmp_path: Path) -> None:
    path = tmp_path / "big.tar"
    _forged_bundle(path, SIGNER, b"{}\n" * (3 << 20))
    source = _Counting(path)
    with io.BufferedReader(source) as fh:
        report = verify_bundle(fh, TRUSTED, limits=Limits(max_records=1 << 20))
    assert report.status == "REJECTED" and "limit 1048576" in report.message
    assert source.read_bytes < 1 << 20, source.read_bytes


def test_a_huge_pax_header_is_rejected_before_it_is_read(sample: bytes) -> None:
    valid = _members(sample)
    pax = tarfile.TarInfo("././@PaxHeader")
    pax.type = tarfile.XHDTYPE
    pax.size = 1 << 30
    report = check(_raw(valid[:2]) + pax.tobuf(tarfile.USTAR_FORMAT) + b"\0" * 4096)
    assert report.status == "REJECTED"
    assert "extended header" in report.message


@settings(max_examples=200, deadline=None)
@given(
    data=st.lists(st.sampled_from([b"a", b"b", b"\n", b"ab\n"]), max_size=60).map(b"".join),
    cuts=st.lists(st.integers(0, 400), max_size=8),
)
def test_lines_are_split_the_same_whatever_the_chunking(data: bytes, cuts: list[int]) -> None:
    import hashlib

    from regulens.evidence.bundle import _lines

    bounds = sorted({0, len(data), *(c for c in cuts if c < len(data))})
    chunks = [data[a:b] for a, b in itertools.pairwise(bounds)]
    digest = hashlib.sha256()
    got = list(_lines(iter(chunks), digest, max_line=1000))
    expected = data.split(b"\n")
    if expected and expected[-1] == b"":
        expected.pop()
    assert got == expected
    assert digest.digest() == hashlib.sha256(data).digest()


@pytest.mark.parametrize(
    "entry",
    [{"name": "checkpoints.jsonl", "size": 0}, {"name": "checkpoints.jsonl", "size": "0",
     "sha256": "x"}, "checkpoints.jsonl", {"name": 7, "size": 0, "sha256": "x"}],
)  # fmt: skip
def test_a_signed_manifest_with_malformed_file_entries_is_rejected(
    tmp_path: Path, entry: Any
) -> None:
    path = tmp_path / "odd.tar"
    files = [entry, {"name": "records.jsonl", "size": 0, "sha256": "x"}]
    _forged_bundle(path, SIGNER, b"", files=files)
    with path.open("rb") as fh:
        report = verify_bundle(fh, TRUSTED)
    assert report.status == "REJECTED" and "manifest.json" in report.message
