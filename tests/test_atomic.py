"""engine.atomic: whole files or nothing, with the permissions any new file would get."""

from __future__ import annotations

import errno
import os
import stat
import threading
from pathlib import Path

import pytest

from engine.atomic import atomic_path, atomic_write_bytes


def test_a_written_file_gets_the_permissions_of_a_new_file(tmp_path):
    current = os.umask(0o022)
    os.umask(current)
    atomic_write_bytes(tmp_path / "a.bin", b"data")
    (tmp_path / "plain.bin").write_bytes(b"data")
    assert stat.S_IMODE((tmp_path / "a.bin").stat().st_mode) == stat.S_IMODE((tmp_path / "plain.bin").stat().st_mode)
    assert (tmp_path / "a.bin").read_bytes() == b"data"


def test_writing_never_touches_the_process_umask(tmp_path, monkeypatch):
    """os.umask is process-wide: setting it to read it, while another thread creates files, would
    give those files and folders no masked permission bits (world-writable)."""
    def umask_from_a_writer(mask):
        raise AssertionError(f"os.umask({mask:o}) called while writing from {threading.current_thread().name}")

    monkeypatch.setattr(os, "umask", umask_from_a_writer)
    atomic_write_bytes(tmp_path / "b.bin", b"data")
    assert (tmp_path / "b.bin").read_bytes() == b"data"


def test_a_failed_write_leaves_no_file_and_no_temp_file(tmp_path, monkeypatch):
    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        atomic_write_bytes(tmp_path / "c.txt", b"data")
    assert list(tmp_path.iterdir()) == []


def test_an_error_about_the_temp_file_names_the_target(tmp_path):
    """A full disk while writing: the user is told about the file they asked for, not a hidden temp name."""
    target = tmp_path / "photo-denoised.png"
    with pytest.raises(OSError) as raised:
        with atomic_path(target) as temp:
            raise OSError(errno.ENOSPC, "No space left on device", str(temp))
    assert raised.value.errno == errno.ENOSPC and raised.value.filename == str(target)
    assert list(tmp_path.iterdir()) == []


def test_a_read_only_folder_is_reported_naming_the_target_not_the_temp_file(tmp_path, monkeypatch):
    """On a read-only file system even unlinking a file that is not there fails (EROFS): that
    clean-up must not replace the error about the target with one about the hidden temp name."""
    def read_only(path, *args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))

    monkeypatch.setattr(Path, "open", read_only)
    monkeypatch.setattr(Path, "unlink", read_only)
    target = tmp_path / "photo-denoised.png"
    with pytest.raises(OSError) as raised:
        atomic_write_bytes(target, b"data")
    assert raised.value.errno == errno.EROFS and raised.value.filename == str(target)
