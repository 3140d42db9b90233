"""Expand file and directory arguments into input files; nothing unreadable is skipped silently.

Directories are walked recursively in sorted order, as `Path.rglob` lists
them, but every entry that cannot be read is reported instead of dropped: a
directory that cannot be listed, a matching name that is a broken or looping
symbolic link, a FIFO or a device. Symbolic links to directories are not
followed (as `rglob`, so a link loop cannot recur); links to files are read.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from regulens.documents.text import unreadable_reason
from regulens.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A path that exists but cannot be read, and why (in words)."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(slots=True)
class Expansion:
    """The readable input files, in order, and every path that could not be read."""

    files: list[str] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)


def why(exc: OSError) -> str:
    """Say in words why a path could not be read."""
    broken = exc.errno == errno.ENOENT and bool(exc.filename) and Path(exc.filename).is_symlink()
    return unreadable_reason(exc, broken_link=broken)


def expand(
    specs: Sequence[str], suffixes: tuple[str, ...], *, keep: str | None = None
) -> Expansion:
    """Expand files and directories (recursively) into input files with one of `suffixes`.

    A spec that does not exist is a usage error (`ConfigError`); a spec equal
    to `keep` (stdin) is passed through. A directory without any input file is
    an error too, so a typo never means "nothing to check".
    """
    out = Expansion()
    for spec in specs:
        if spec == keep:
            out.files.append(spec)
            continue
        try:
            st = Path(spec).stat()
        except FileNotFoundError:
            if Path(spec).is_symlink():
                message = f"{spec}: broken symbolic link (its target does not exist)"
                raise ConfigError(message) from None
            raise ConfigError(f"{spec}: no such file or directory") from None
        except OSError as exc:
            out.unreadable.append(Unreadable(spec, why(exc)))
            continue
        if not stat.S_ISDIR(st.st_mode):
            out.files.append(spec)  # named explicitly: a file, or a pipe like <(helm template)
            continue
        found = Expansion()
        top = str(Path(spec))  # `m/` and `./m` list files as `m/...`, as rglob does
        _walk(top, "" if top == "." else top + os.sep, suffixes, found)
        if not found.files and not found.unreadable:
            listed = ", ".join(suffixes[:-1]) + f" or {suffixes[-1]}"
            raise ConfigError(f"{spec}: no {listed} files in this directory")
        out.files.extend(sorted(found.files))
        out.unreadable.extend(sorted(found.unreadable, key=lambda u: u.path))
    return out


def _walk(directory: str, prefix: str, suffixes: tuple[str, ...], out: Expansion) -> None:
    # os.scandir instead of rglob + is_file: on one-object-per-file trees the
    # pathlib overhead cost more than parsing; a stack, not recursion, for deep trees
    pending = [(directory, prefix)]
    while pending:
        current, at = pending.pop()
        try:
            with os.scandir(current) as it:
                entries = list(it)
        except OSError as exc:
            out.unreadable.append(Unreadable(at.rstrip(os.sep) or current, why(exc)))
            continue
        for entry in entries:
            try:
                _entry(entry, at, suffixes, out, pending)
            except OSError as exc:  # pragma: no cover - d_type is known on Linux file systems
                out.unreadable.append(Unreadable(at + entry.name, why(exc)))


def _entry(
    entry: os.DirEntry[str],
    at: str,
    suffixes: tuple[str, ...],
    out: Expansion,
    pending: list[tuple[str, str]],
) -> None:
    name = entry.name
    if entry.is_dir(follow_symlinks=False):
        pending.append((entry.path, at + name + os.sep))
        return
    dot = name.rfind(".")
    if dot <= 0 or name[dot:] not in suffixes:
        return
    if entry.is_file(follow_symlinks=False):  # from the directory entry: no stat call
        out.files.append(at + name)
        return
    if not entry.is_symlink():
        out.unreadable.append(Unreadable(at + name, "not a regular file"))
        return
    try:
        mode = entry.stat().st_mode  # follows the link to its target
    except OSError as exc:
        out.unreadable.append(Unreadable(at + name, why(exc)))
        return
    if stat.S_ISREG(mode):
        out.files.append(at + name)
    elif not stat.S_ISDIR(mode):  # a link to a directory is not followed, as in rglob
        out.unreadable.append(Unreadable(at + name, "not a regular file"))
