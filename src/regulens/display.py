"""Text for people: input shown in a terminal, a log, Markdown or HTML is made inert.

Every human renderer passes text that came from inputs through `printable`
(control characters become visible escapes), and Markdown renderers through
`markdown_text` (also HTML and table metacharacters). Machine formats (JSON,
SARIF, YAML) keep the exact data.
"""

from __future__ import annotations

import re

# C0 controls, DEL and C1 controls (ESC starts terminal sequences, CR rewrites a line),
# the bidirectional overrides, embeddings and isolates (they reorder what is shown),
# and the Unicode line and paragraph separators (they break lines where shown).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_UNSAFE_KEEP_NEWLINES = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)
_MARKDOWN = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "\\|", "\\": "\\\\", "\n": " "}
)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """Replace control, bidi-override and line-separator characters by `\\x1b`/`\\u202e` forms."""
    pattern = _UNSAFE_KEEP_NEWLINES if keep_newlines else _UNSAFE
    if pattern.search(text) is None:
        return text
    return pattern.sub(_visible, text)


def markdown_text(text: str) -> str:
    """Make text inert in Markdown: `printable`, HTML escaped, `|` and `\\` escaped, one line."""
    return printable(text).translate(_MARKDOWN)
