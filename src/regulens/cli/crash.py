"""Unexpected exceptions: one line for the user, the traceback in a private file (exit 5).

The file holds only the formatted traceback (no local variables), with URL
passwords and authorisation header values masked, so that it can be attached to
a bug report.
"""

from __future__ import annotations

import os
import re
import tempfile
import traceback
from pathlib import Path

from regulens.display import printable

_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^@\s/]+@", re.IGNORECASE)
_AUTH_VALUE = re.compile(
    r"(?P<head>\b(?:authorization|bearer|token|password|passwd|secret|api[_-]?key)\b"
    r"[\"']?\s*[:=]?\s*[\"']?(?:bearer\s+|basic\s+)?)[^\s\"',}]+",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """Mask URL passwords and the values after authorisation/token/password words."""
    text = _URL_PASSWORD.sub(r"\g<head>***@", text)
    return _AUTH_VALUE.sub(r"\g<head>***", text)


def format_crash(exc: BaseException) -> str:
    """The traceback of `exc` (and its causes), redacted, without local variables."""
    return redact("".join(traceback.format_exception(exc)))


def where(exc: BaseException) -> str:
    """`Type at file:line` of the innermost frame, for the one-line message."""
    frames = traceback.extract_tb(exc.__traceback__)
    name = type(exc).__qualname__
    if not frames:
        return name
    last = frames[-1]
    return f"{name} at {Path(last.filename).name}:{last.lineno}"


def write_crash(text: str, directory: str | None = None) -> str:
    """Write `text` to a new file readable only by its owner (mode 0600); return its path."""
    fd, path = tempfile.mkstemp(prefix="regulens-crash-", suffix=".txt", dir=directory)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:  # mkstemp: O_EXCL, mode 0600
        fh.write(text)
    return path


def crash_report(exc: BaseException, *, verbose: bool, directory: str | None = None) -> str:
    """Return what is shown on stderr: the traceback when verbose, then one line with a hint."""
    text = format_crash(exc)
    try:
        hint = f"traceback written to {write_crash(text, directory)}"
    except OSError as err:
        hint = f"the traceback could not be written ({err.strerror})"
    if not verbose:
        hint += " (-v prints it)"
    line = printable(f"error: internal error: {where(exc)} (a bug in regulens, exit 5); {hint}")
    return f"{printable(text, keep_newlines=True)}{line}" if verbose else line
