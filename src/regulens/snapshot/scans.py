"""The scans section of a snapshot: normalised Trivy reports (images, configuration, secrets).

Only what the checks judge is kept. A secret finding keeps its rule, category,
severity, file and line, never the matched text: secret values must not reach
results, logs or evidence.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from regulens.snapshot.images import ImageName
from regulens.snapshot.resources import ResourceRef, SourceLocation

_CHECK_ID = re.compile(r"^(?:AVD-)?([A-Z]+)-?(\d+)$")


class ScanSeverity(StrEnum):
    """A Trivy severity; Trivy's UNKNOWN (or anything unrecognised) counts as critical."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """Order from low (0) to critical (3)."""
        return _RANK[self]

    @classmethod
    def from_trivy(cls, value: object) -> ScanSeverity:
        """Map Trivy's upper-case severity; UNKNOWN or an unrecognised value is CRITICAL."""
        if isinstance(value, str):
            try:
                return cls(value.lower())
            except ValueError:
                pass
        return cls.CRITICAL


_RANK = {
    ScanSeverity.LOW: 0,
    ScanSeverity.MEDIUM: 1,
    ScanSeverity.HIGH: 2,
    ScanSeverity.CRITICAL: 3,
}


def normalise_check_id(raw: str) -> str:
    """Return the canonical form of a Trivy check id: `KSV044`, `AVD-KSV-0044` → `KSV-0044`."""
    compact = raw.strip().upper()
    match = _CHECK_ID.fullmatch(compact)
    if match is None:
        return compact
    return f"{match.group(1)}-{int(match.group(2)):04d}"


def image_ref(name: str) -> ResourceRef:
    """Return the resource reference results use for a container image."""
    return ResourceRef(api_version="", kind="Image", namespace=None, name=name)


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Vulnerability(_Strict):
    """One vulnerable package in one report."""

    id: str
    pkg: str
    installed: str
    fixed: str | None = Field(default=None, description="The version that fixes it, if any")
    severity: ScanSeverity
    reported_severity: str = Field(description="Severity as Trivy wrote it (e.g. UNKNOWN)")
    title: str | None = None
    target: str = ""

    @property
    def fixable(self) -> bool:
        """True when a fixed version exists."""
        return bool(self.fixed)


class Misconfiguration(_Strict):
    """One failed configuration check."""

    id: str = Field(description="Normalised check id, e.g. KSV-0017")
    original_id: str = Field(description="The id as Trivy wrote it (KSV017, KSV-0017, ...)")
    avd_id: str | None = None
    title: str | None = None
    severity: ScanSeverity
    reported_severity: str
    target: str = Field(description="The scanned file")
    line: int | None = None
    message: str = ""


class SecretFinding(_Strict):
    """One secret found by Trivy: where and what rule, never the secret itself."""

    rule_id: str
    category: str | None = None
    title: str | None = None
    severity: ScanSeverity
    reported_severity: str
    target: str
    line: int | None = None


class ScanReport(_Strict):
    """One Trivy JSON report (SchemaVersion 2), normalised."""

    source: str = Field(description="The report file, or the trivy command that produced it")
    digest: str = Field(description="sha256 of the report bytes")
    artifact_name: str
    artifact_type: str | None = None
    image_id: str | None = None
    repo_tags: tuple[str, ...] = ()
    repo_digests: tuple[str, ...] = ()
    created_at: AwareDatetime | None = None
    trivy_version: str | None = None
    vulnerabilities: tuple[Vulnerability, ...] = ()
    misconfigurations: tuple[Misconfiguration, ...] = ()
    secrets: tuple[SecretFinding, ...] = ()

    @property
    def is_image(self) -> bool:
        """True for a container image report."""
        return self.artifact_type == "container_image"

    @property
    def image(self) -> str:
        """The image this report names: its first repo tag, else the artifact name."""
        return self.repo_tags[0] if self.repo_tags else self.artifact_name

    @property
    def ref(self) -> ResourceRef:
        """The resource results about this report's artifact refer to."""
        if self.is_image:
            return image_ref(self.image)
        return ResourceRef(api_version="", kind="Artifact", namespace=None, name=self.artifact_name)

    @property
    def location(self) -> SourceLocation:
        """Where the report came from (its file, or the trivy command)."""
        return SourceLocation(file=self.source)

    def covers(self, image: ImageName) -> bool:
        """True when this image report scanned `image`.

        A pinned digest matches only a digest the report records (`RepoDigests`,
        `ImageID`, or a digest in `ArtifactName`): a tag can move, a digest cannot.
        Otherwise the normalised `repo:tag` must equal the report's `ArtifactName`
        or one of its `RepoTags`. Reports of other artifacts (filesystems,
        repositories, SBOMs) never cover an image.
        """
        if not self.is_image:
            return False
        if image.digest is not None:
            return image.digest in self.digests
        return image.canonical in self.tags

    @property
    def digests(self) -> frozenset[str]:
        """Every digest the report records for its image."""
        refs = (self.artifact_name, *self.repo_digests)
        found = {d for d in (ImageName.parse(r).digest for r in refs) if d is not None}
        if self.image_id:
            found.add(self.image_id.strip().lower())
        return frozenset(found)

    @property
    def tags(self) -> frozenset[str]:
        """Every normalised `repo:tag` the report names (its artifact name and repo tags)."""
        names = (ImageName.parse(r) for r in (self.artifact_name, *self.repo_tags))
        return frozenset(n.canonical for n in names if n.digest is None)

    def names_image(self, ref: str) -> bool:
        """True when this report is about image `ref` (see `covers`)."""
        return self.covers(ImageName.parse(ref))


class ScanSet(_Strict):
    """Every Trivy report of one run, in input order."""

    reports: tuple[ScanReport, ...]

    def for_image(self, ref: str) -> list[ScanReport]:
        """Return the reports about image `ref`."""
        return [r for r in self.reports if r.names_image(ref)]


__all__ = [
    "Misconfiguration",
    "ScanReport",
    "ScanSet",
    "ScanSeverity",
    "SecretFinding",
    "Vulnerability",
    "image_ref",
    "normalise_check_id",
]
