"""Safe output files: a chunk of letters is synced once, renamed into place, then the folder synced."""
from __future__ import annotations

import os

from lettergen import files
from lettergen.files import FILE_MODE, commit_parts, write_unsynced


def test_parts_are_invisible_until_committed_then_complete_under_their_names(tmp_path):
    letters = {tmp_path / f"{n}.docx": f"letter {n}".encode() * 1000 for n in range(5)}
    parts = []
    for path, data in letters.items():
        part, digest = write_unsynced(path, data)
        assert len(digest) == 64 and os.path.basename(part).startswith(".~") and part.endswith(".docx.part")
        parts.append((part, str(path)))
    assert not any(path.exists() for path in letters)  # nothing under a real name before the commit
    commit_parts(parts, tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {p.name for p in letters}
    for path, data in letters.items():
        assert path.read_bytes() == data
        assert path.stat().st_mode & 0o777 == FILE_MODE


def test_contents_reach_the_disk_before_any_rename_and_the_folder_after_all(tmp_path, monkeypatch):
    events: list[str] = []
    real_replace, real_fsync = os.replace, os.fsync
    monkeypatch.setattr(files, "_syncfs", lambda path: events.append("syncfs") or True)
    monkeypatch.setattr(files.os, "replace", lambda a, b: events.append("rename") or real_replace(a, b))
    monkeypatch.setattr(files.os, "fsync", lambda fd: events.append("fsync") or real_fsync(fd))
    parts = [(write_unsynced(tmp_path / f"{n}.docx", b"x")[0], str(tmp_path / f"{n}.docx")) for n in range(3)]
    commit_parts(parts, tmp_path)
    assert events == ["syncfs", "rename", "rename", "rename", "fsync"]  # the last fsync: the folder


def test_without_syncfs_every_part_is_fsynced_before_the_renames(tmp_path, monkeypatch):
    events: list[str] = []
    real_replace, real_fsync = os.replace, os.fsync
    monkeypatch.setattr(files, "_syncfs", lambda path: False)
    monkeypatch.setattr(files.os, "replace", lambda a, b: events.append("rename") or real_replace(a, b))
    monkeypatch.setattr(files.os, "fsync", lambda fd: events.append("fsync") or real_fsync(fd))
    parts = [(write_unsynced(tmp_path / f"{n}.docx", b"x")[0], str(tmp_path / f"{n}.docx")) for n in range(2)]
    commit_parts(parts, tmp_path)
    assert events == ["fsync", "fsync", "rename", "rename", "fsync"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0.docx", "1.docx"]


def test_syncfs_is_available_on_linux(tmp_path):
    assert files._syncfs(tmp_path) is True
