"""Read a change request: exactly one strict `kind: ChangeRequest` document per file."""

from __future__ import annotations

from regulens.documents import load_documents, validate_document
from regulens.errors import DocumentError, Problem
from regulens.snapshot.change import ChangeRequest


def read_change(path: str) -> ChangeRequest:
    """Load and strictly validate the one ChangeRequest in `path` (exit 3 with file:line:col)."""
    docs = [d for d in load_documents(path) if d.data is not None]
    if len(docs) != 1:
        raise DocumentError(
            [
                Problem(
                    path, None, None, "",
                    f"expected exactly one ChangeRequest document, found {len(docs)}",
                )
            ]
        )  # fmt: skip
    doc = docs[0]
    if not isinstance(doc.data, dict) or doc.data.get("kind") != "ChangeRequest":
        raise DocumentError([doc.problem(("kind",), "expected kind: ChangeRequest")])
    return validate_document(doc, ChangeRequest)
