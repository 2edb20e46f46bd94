"""Files that appear whole or not at all: write beside the target, fsync, rename.

A crash, Ctrl-C or full disk leaves the old file (or none) and no stray temporary.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def temporary_sibling(path: Path, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary file in ``path``'s directory (same filesystem), removed on exit.

    The file is made inside the ``try``: a Ctrl-C just after it appears (before the
    descriptor is closed or the Path built) must not leave it behind.
    """
    name: str | None = None
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
        os.close(fd)
        yield Path(name)
    finally:
        if name is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)


def publish(temporary: Path, path: Path, *, private: bool = False) -> None:
    """Flush ``temporary`` to disk and rename it over ``path`` in one step."""
    with temporary.open("rb+") as handle:
        os.fsync(handle.fileno())
    if not private:  # mkstemp makes files 0600; give a normal file the usual mode
        umask = os.umask(0o022)
        os.umask(umask)
        temporary.chmod(0o666 & ~umask)
    os.replace(temporary, path)


def write_atomic(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write ``data`` to ``path`` atomically; ``private`` keeps it (and a new folder) 0600/0700."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700 if private else 0o777)
    with temporary_sibling(path) as temporary:
        temporary.write_bytes(data)
        publish(temporary, path, private=private)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks (GGUF files are gigabytes)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
