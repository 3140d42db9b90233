"""Read one small data file (YAML or JSON) written or exported by people: catalogs, drills."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from regulens.documents import Document, load_text, validate_document
from regulens.documents.strict_json import loads_json
from regulens.documents.text import decode_text
from regulens.errors import ConfigError, DocumentError, InputDataError, Problem

MAX_BYTES = 4 * 1024 * 1024
M = TypeVar("M", bound=BaseModel)


class DataProblems(InputDataError):
    """Located problems in a data file (exit 2), shown one line each."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def lines(self) -> list[str]:
        """One line per problem."""
        return [str(p) for p in self.problems]


class UnreadableDataFile(ConfigError):
    """The file exists but cannot be read (permissions, a directory, an I/O error)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class DataFile:
    """A parsed data file and the sha256 of its bytes (and, for JSON, its text)."""

    path: str
    document: Document
    digest: str
    json_text: str | None = field(default=None, repr=False)

    def located(self) -> Document:
        """The document with `line:col` of every value, to report problems.

        YAML documents carry them; a JSON file is read again as YAML (JSON is
        YAML 1.2) only when there is a problem to place, so valid files pay nothing.
        """
        if self.json_text is None:
            return self.document
        return _located_json(self.path, self.json_text, self.document.data)


def read_data_file(path: str, what: str) -> DataFile:
    """Read exactly one YAML or JSON document; unreadable input is exit 3, bad data exit 2."""
    try:
        with Path(path).open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such {what} file") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UnreadableDataFile(f"{path}: cannot read {what} file: {reason}", reason) from None
    if len(raw) > MAX_BYTES:
        raise InputDataError(f"{path}: {what} file is larger than {MAX_BYTES} bytes")
    digest = "sha256:" + hashlib.sha256(raw).hexdigest()
    json = path.endswith(".json")
    try:
        text = decode_text(raw, path, yaml=not json)
        if json:
            # one strict reader for every JSON input: a duplicate key is an error, not last-wins
            document = Document(path, 0, loads_json(text, path), {}, {})
            return DataFile(path, document, digest, json_text=text)
        docs = load_text(text, path)
    except DocumentError as exc:
        raise DataProblems(exc.problems) from None
    if len(docs) != 1 or docs[0].data is None:
        raise InputDataError(f"{path}: a {what} file holds exactly one non-empty document")
    return DataFile(path, docs[0], digest)


def _located_json(path: str, text: str, data: object) -> Document:
    """The JSON document with `line:col` of every value, read again as YAML (JSON is YAML 1.2).

    The strict JSON reader gave the data; the YAML reading only supplies locations, and
    only when it yields exactly the same data (else problems name the path alone).
    """
    try:
        docs = load_text(text, path)
    except DocumentError:
        docs = []
    if len(docs) == 1 and docs[0].data == data:
        found = docs[0]
        return Document(path, 0, data, found.locations, found.plain_text, found.key_locations)
    return Document(path, 0, data, {}, {})


def validate_data(file: DataFile, model: type[M]) -> M:
    """Validate the file's document strictly; problems are input-data errors (exit 2)."""
    try:
        return validate_document(file.document, model)
    except DocumentError as exc:
        problems = exc.problems
    if file.json_text is not None:
        try:
            validate_document(file.located(), model)
        except DocumentError as exc:
            problems = exc.problems
    raise DataProblems(problems)
