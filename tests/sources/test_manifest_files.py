"""Directory expansion lists the same files, in the same order, as Path.rglob would.

Unlike rglob, nothing that cannot be read is dropped: a broken link is reported.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from regulens.sources.manifests import (
    MANIFEST_SUFFIXES,
    ManifestError,
    expand_manifests,
    manifest_files,
)


def _rglob(spec: str) -> list[str]:
    path = Path(spec)
    return sorted(str(p) for p in path.rglob("*") if p.suffix in MANIFEST_SUFFIXES and p.is_file())


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "m"
    for rel in (
        "a.yaml",
        "b.yml",
        "c.json",
        "d.txt",
        ".yaml",
        "..yaml",
        "x/y/z.yaml",
        "x/w.YAML",
        "x/v.yaml.bak",
        "q/r.yaml",
    ):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("kind: X\n")
    (root / "dir.yaml").mkdir()
    (root / "dir.yaml" / "in.yaml").write_text("kind: X\n")
    (root / "link").symlink_to(root / "q", target_is_directory=True)
    (root / "file-link.yaml").symlink_to(root / "a.yaml")
    (root / "broken.yaml").symlink_to(root / "missing.yaml")
    return root


def test_same_files_and_order_as_rglob(tree: Path) -> None:
    found = expand_manifests([str(tree)])
    assert found.files == _rglob(str(tree))
    assert str(tree / "x" / "y" / "z.yaml") in found.files
    # rglob drops the broken link silently; here it is reported
    assert [str(u) for u in found.unreadable] == [
        f"{tree / 'broken.yaml'}: broken symbolic link (its target does not exist)"
    ]
    with pytest.raises(ManifestError, match=r"broken\.yaml: broken symbolic link"):
        manifest_files([str(tree)])


def test_relative_spellings_keep_their_form(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree.parent)
    for spec in ("m", "m/", "./m"):
        assert expand_manifests([spec]).files == _rglob(spec)
    monkeypatch.chdir(tree)
    assert expand_manifests(["."]).files == _rglob(".")
    assert "a.yaml" in expand_manifests(["."]).files
    assert [u.path for u in expand_manifests(["."]).unreadable] == ["broken.yaml"]


def test_directory_without_manifests_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ManifestError, match=r"no \.yaml"):
        manifest_files([str(tmp_path)])
    assert os.path.isdir(tmp_path)
