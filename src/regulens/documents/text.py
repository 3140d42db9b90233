"""Turn the bytes of a user file into text every reader agrees on (UTF-8, BOM, NUL, controls).

Parsers disagree on bytes YAML and JSON forbid: libyaml stops at a NUL and
yaml-rs reads it as the end of the document, so a Deployment could lose its
`spec` without an error. Every input is decoded here first, and a NUL byte
(or, in YAML, another control character the YAML spec forbids) is an error
that names the file and its byte offset.
"""

from __future__ import annotations

import errno
import re

from regulens.errors import DocumentError, Problem

BOM = "\ufeff"
INT_MIN, INT_MAX = -(2**63), 2**64 - 1  # the integers JSON tools (orjson, Go) can hold
# C0 controls other than tab, LF and CR, and DEL: not printable in YAML 1.2 (5.1)
_YAML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NUL = re.compile("\x00")


def unreadable_reason(exc: OSError, *, broken_link: bool = False) -> str:
    """Say in words why a path could not be read (the caller knows if it is a dangling link)."""
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    if exc.errno == errno.ENOENT and broken_link:
        return "broken symbolic link (its target does not exist)"
    return f"cannot read: {exc.strerror or exc}"


def decode_text(raw: bytes, file: str, *, yaml: bool = True) -> str:
    """Decode UTF-8 (a leading BOM is dropped) and refuse NUL bytes and forbidden controls."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _line_col_of_byte(raw, exc.start)
        problem = Problem(file, line, col, "", f"not UTF-8 text (byte offset {exc.start})")
        raise DocumentError([problem]) from None
    return check_text(text, file, yaml=yaml, offset=3 if text.startswith(BOM) else 0)


def check_text(text: str, file: str, *, yaml: bool = True, offset: int = 0) -> str:
    """Drop a leading BOM and refuse NUL (and, for YAML, other forbidden control characters).

    `offset` is the byte offset of `text` in its file (for the position in the message).
    """
    if text.startswith(BOM):
        text = text[1:]
    found = (_YAML_FORBIDDEN if yaml else _NUL).search(text)
    if found is None:
        return text
    i = found.start()
    char = text[i]
    byte = offset + len(text[:i].encode("utf-8", errors="surrogatepass"))
    line = text.count("\n", 0, i) + 1
    col = i - text.rfind("\n", 0, i)
    what = "a NUL byte" if char == "\x00" else f"control character U+{ord(char):04X}"
    message = f"{what} at byte offset {byte}: not allowed in YAML or JSON text"
    if char != "\x00":
        message = f"{what} at byte offset {byte}: not allowed in YAML (write it escaped)"
    raise DocumentError([Problem(file, line, col, "", message)])


def _line_col_of_byte(raw: bytes, offset: int) -> tuple[int, int]:
    head = raw[:offset]
    line = head.count(b"\n") + 1
    start = head.rfind(b"\n") + 1
    return line, len(head[start:].decode("utf-8", errors="replace")) + 1
