"""The Denoise page's queue model and dropped-path expansion (pure Python)."""

from __future__ import annotations

from app.denoise_queue import DONE, ERROR, DenoiseQueue, expand_dropped


def test_queue_skips_photos_already_waiting_and_clears_finished(tmp_path):
    queue = DenoiseQueue()
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    assert len(queue.add([a, b, a])) == 2
    assert queue.add([a]) == []
    queue.items[0].status, queue.items[1].status, queue.items[1].message = DONE, ERROR, "corrupt"
    assert queue.items[1].status_text() == "Error: corrupt"
    assert len(queue.add([a])) == 1  # a finished photo can be queued again
    queue.remove_finished()
    assert [item.status for item in queue.items] == ["queued"]
    queue.items[0].status, queue.items[0].outcome = DONE, "result"
    queue.requeue(queue.items[0])
    assert queue.next_queued() is queue.items[0] and queue.items[0].outcome is None


def test_dropped_folders_become_their_images_and_files_stay(tmp_path):
    (tmp_path / "album" / "2024").mkdir(parents=True)
    for name in ("album/x.JPG", "album/2024/y.png", "album/readme.txt", "loose.txt"):
        (tmp_path / name).write_bytes(b"")
    found = expand_dropped([tmp_path / "album", tmp_path / "loose.txt"])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["album/2024/y.png", "album/x.JPG", "loose.txt"]
