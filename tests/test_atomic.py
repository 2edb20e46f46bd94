"""Atomic writes: the old file or the new one, never half of one, and no stray temporary."""

from __future__ import annotations

from pathlib import Path

import pytest

from octopus_cli.atomic import publish, temporary_sibling, write_atomic


def test_write_replaces_whole_file_with_normal_or_private_mode(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "file.txt"
    write_atomic(target, b"one")
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert target.stat().st_mode & 0o777 != 0o600
    secret = tmp_path / "secret.txt"
    write_atomic(secret, b"x", private=True)
    assert secret.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep", "secret.txt"]


def test_failure_before_publish_keeps_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "model.gguf"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), temporary_sibling(target) as temporary:
        temporary.write_bytes(b"half")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.gguf"]


def test_publish_moves_the_temporary_into_place(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    with temporary_sibling(target) as temporary:
        temporary.write_bytes(b"done")
        publish(temporary, target)
    assert target.read_bytes() == b"done"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]
