"""A file's SHA-256, read in 1 MiB blocks (a model archive or a database copy may be large):
what a backup's manifest and the model registry both record and check."""
from __future__ import annotations

import hashlib
from pathlib import Path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
