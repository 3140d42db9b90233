"""Incident records (`--incidents FILE`) and acknowledgements from an Alertmanager export.

The records file is a YAML/JSON list of incidents (id, severity 1-4, service,
detected, acknowledged, resolved, and the post-incident review). An incident
may instead name the Alertmanager silence that acknowledged it (`silence: ID`);
its time then comes from `--alertmanager-silences FILE`, the JSON of
`GET /api/v2/silences`. Silences, not alerts: Alertmanager has no
acknowledgement, and silencing the firing alert is how on-call engineers
acknowledge one; `GET /api/v2/alerts` says when an alert started firing and
which silences mute it, but not when anyone acted. The silence's `startsAt`
is when it took effect (Alertmanager keeps no creation time).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, RootModel

from regulens.errors import InputDataError
from regulens.snapshot import Provenance
from regulens.snapshot.incidents import (
    INCIDENT_ID_PATTERN,
    SERVICE_PATTERN,
    AckOrigin,
    Incident,
    IncidentsState,
    PostIncidentReview,
    Severity,
    Text,
)
from regulens.sources.datafile import (
    DataFile,
    DataProblems,
    UnreadableDataFile,
    read_data_file,
    validate_data,
)

SILENCE_ID_PATTERN = (
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
SilenceId = Annotated[str, Field(pattern=SILENCE_ID_PATTERN)]
Placed = tuple[tuple[int | str, ...], str]  # a problem's path in the document, and what it is


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class IncidentEntry(_Strict):
    """One incident as written in the records file."""

    id: str = Field(pattern=INCIDENT_ID_PATTERN)
    severity: Severity
    service: str = Field(pattern=SERVICE_PATTERN)
    title: Text | None = None
    detected: AwareDatetime
    acknowledged: AwareDatetime | None = None
    silence: SilenceId | None = Field(
        default=None, description="The Alertmanager silence that acknowledged the incident"
    )
    resolved: AwareDatetime | None = None
    review: PostIncidentReview | None = None


class IncidentsFile(RootModel[tuple[IncidentEntry, ...]]):
    """An incidents file: a list of incidents."""


class SilenceMatcher(_Strict):
    """One label matcher of a silence."""

    name: str
    value: str
    is_regex: bool = Field(alias="isRegex")
    is_equal: bool = Field(default=True, alias="isEqual")


class SilenceStatus(_Strict):
    """The state Alertmanager reports for a silence."""

    state: Literal["active", "pending", "expired"]


class Silence(_Strict):
    """One silence of `GET /api/v2/silences` (Alertmanager API v2 `gettableSilence`)."""

    id: SilenceId
    status: SilenceStatus
    updated_at: AwareDatetime = Field(alias="updatedAt")
    comment: str
    created_by: str = Field(alias="createdBy")
    starts_at: AwareDatetime = Field(alias="startsAt")
    ends_at: AwareDatetime = Field(alias="endsAt")
    matchers: tuple[SilenceMatcher, ...] = Field(min_length=1)


class SilencesExport(RootModel[tuple[Silence, ...]]):
    """An Alertmanager silences export: the JSON list `GET /api/v2/silences` returns."""


def read_silences(path: str) -> dict[str, Silence]:
    """Read an Alertmanager silences export, by silence id (a repeated id is an error)."""
    file = read_data_file(path, "Alertmanager silences")
    data = file.document.data
    if isinstance(data, list) and data and isinstance(data[0], dict) and "fingerprint" in data[0]:
        raise InputDataError(
            f"{path}: this is an alerts export (GET /api/v2/alerts); "
            "give the silences export (GET /api/v2/silences)",
            hint="alerts say when they fired, not when anyone acknowledged them",
        )
    silences = validate_data(file, SilencesExport).root
    found: dict[str, Silence] = {}
    problems: list[Placed] = []
    for i, silence in enumerate(silences):
        if silence.id in found:
            problems.append(((i, "id"), f"duplicate silence id {silence.id}"))
        found[silence.id] = silence
    _raise(file, problems)
    return found


def read_incidents(path: str, silences_path: str | None = None) -> IncidentsState:
    """Read and strictly validate an incidents file (and the silences it refers to).

    A file that exists but cannot be read yields a section that says so: every
    incident check is then an error (exit 2 when enforced), never a pass.
    """
    inputs = (path,) if silences_path is None else (path, silences_path)
    try:
        file = read_data_file(path, "incidents")
        entries = validate_data(file, IncidentsFile).root
        silences = read_silences(silences_path) if silences_path is not None else None
    except UnreadableDataFile as exc:
        return IncidentsState(
            provenance=Provenance(source="incidents", inputs=inputs), unreadable=exc.message
        )
    problems: list[Placed] = []
    incidents = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(entries):
        first = seen.setdefault(entry.id, i)
        if first != i:
            problems.append(((i, "id"), f"duplicate incident id {entry.id!r} (first at [{first}])"))
        incident = _incident(file, i, entry, silences, silences_path, problems)
        if incident is not None:
            incidents.append(incident)
    _raise(file, problems)
    return IncidentsState(
        provenance=Provenance(source="incidents", digest=file.digest, inputs=inputs),
        incidents=tuple(incidents),
    )


def _incident(
    file: DataFile,
    i: int,
    entry: IncidentEntry,
    silences: dict[str, Silence] | None,
    silences_path: str | None,
    problems: list[Placed],
) -> Incident | None:
    ack, origin = entry.acknowledged, AckOrigin.RECORD if entry.acknowledged else None
    if entry.silence is not None:
        if entry.acknowledged is not None:
            problems.append(
                (
                    (i, "silence"),
                    "give acknowledged or silence, not both (two sources for one time)",
                )
            )
            return None
        if silences is None:
            problems.append(
                (
                    (i, "silence"),
                    f"incident {entry.id} names a silence: pass --alertmanager-silences FILE",
                )
            )
            return None
        silence = silences.get(entry.silence)
        if silence is None:
            problems.append(((i, "silence"), f"silence {entry.silence} is not in {silences_path}"))
            return None
        ack, origin = silence.starts_at, AckOrigin.ALERTMANAGER_SILENCE
    before = len(problems)
    if ack is not None and ack < entry.detected:
        where = "acknowledged" if entry.silence is None else "silence"
        problems.append(((i, where), "acknowledged before detected"))
    if entry.resolved is not None and entry.resolved < entry.detected:
        problems.append(((i, "resolved"), "resolved before detected"))
    if len(problems) > before:
        return None
    return Incident(
        id=entry.id,
        severity=entry.severity,
        service=entry.service,
        title=entry.title,
        detected=entry.detected,
        acknowledged=ack,
        acknowledged_from=origin,
        silence=entry.silence,
        resolved=entry.resolved,
        review=entry.review,
        source=f"{file.path}[{i}]",
    )


def _raise(file: DataFile, problems: list[Placed]) -> None:
    """Report every problem at its place in the file (located once, only when there are some)."""
    if problems:
        document = file.located()
        raise DataProblems([document.problem(path, message) for path, message in problems])
