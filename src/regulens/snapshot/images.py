"""Container image references, normalised the way container runtimes resolve them.

`nginx`, `nginx:latest`, `docker.io/nginx` and `docker.io/library/nginx:latest` are
one image: a first path component is a registry only when it contains `.` or `:`
or is `localhost` (else the registry is Docker Hub), Docker Hub images without an
organisation live under `library/`, `index.docker.io` and `registry-1.docker.io`
are Docker Hub, and a reference without tag or digest means `:latest`. When a
reference pins a digest (`name@sha256:...`), the runtime pulls that digest and
ignores any tag, so the digest alone identifies the image.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DOCKER_HUB = "docker.io"
_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
_DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[A-Za-z0-9=_-]{32,}$")


@dataclass(frozen=True, slots=True)
class ImageName:
    """A parsed image reference: registry, repository path, tag and digest."""

    registry: str
    path: str
    tag: str | None
    digest: str | None

    @classmethod
    def parse(cls, ref: str) -> ImageName:
        """Parse `[registry/]path[:tag][@digest]`; defaults are filled in as runtimes do."""
        text = ref.strip()
        name, at, digest = text.partition("@")
        digest_or_none = digest.lower() if at and _DIGEST.fullmatch(digest) else None
        if at and digest_or_none is None:
            name = text  # not a digest: keep the text whole so it matches nothing else
        slash = name.rfind("/")
        colon = name.rfind(":")
        tag: str | None = None
        if colon > slash:
            name, tag = name[:colon], name[colon + 1 :]
        first, sep, rest = name.partition("/")
        if sep and ("." in first or ":" in first or first == "localhost"):
            registry, path = first.lower(), rest
        else:
            registry, path = DOCKER_HUB, name
        if registry in _HUB_ALIASES:
            registry = DOCKER_HUB
            if "/" not in path:
                path = f"library/{path}"
        if tag is None and digest_or_none is None:
            tag = "latest"
        return cls(registry, path, tag, digest_or_none)

    @property
    def repository(self) -> str:
        """`registry/path`, e.g. `docker.io/library/nginx`."""
        return f"{self.registry}/{self.path}"

    @property
    def canonical(self) -> str:
        """The one spelling of this image: `repo@digest` when pinned, else `repo:tag`."""
        if self.digest is not None:
            return f"{self.repository}@{self.digest}"
        return f"{self.repository}:{self.tag}"


__all__ = ["DOCKER_HUB", "ImageName"]
