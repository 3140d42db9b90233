"""Restore drill records (`--drills FILE`): a YAML/JSON list of timed, verified restores."""

from __future__ import annotations

from pydantic import RootModel

from regulens.snapshot import Provenance
from regulens.snapshot.drills import DrillsState, RestoreDrill
from regulens.sources.datafile import read_data_file, validate_data


class DrillsFile(RootModel[tuple[RestoreDrill, ...]]):
    """A drills file: a list of restore drills."""


def read_drills(path: str) -> DrillsState:
    """Read and strictly validate a drills file."""
    file = read_data_file(path, "restore drills")
    drills = validate_data(file, DrillsFile)
    return DrillsState(
        provenance=Provenance(source="drills", digest=file.digest, inputs=(path,)),
        drills=drills.root,
    )
