"""The Denoise page's queue model and dropped-path expansion (pure Python)."""

from __future__ import annotations

import numpy as np

from app.denoise.denoise_queue import DONE, ERROR, DenoiseQueue, expand_dropped


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


def test_a_photo_queued_again_is_its_own_row(tmp_path):
    """Rows are told apart by identity: a failed photo added again and failing the same way, or a
    photo denoised twice (results holding arrays), must each update their own row."""
    queue = DenoiseQueue()
    photo = tmp_path / "a.png"
    first = queue.add([photo])[0]
    first.status, first.message = ERROR, "corrupt"
    second = queue.add([photo])[0]
    second.status, second.message = ERROR, "corrupt"
    assert queue.index(second) == 1
    first.status = second.status = DONE
    first.outcome, second.outcome = np.zeros(3), np.zeros(3)
    assert queue.index(second) == 1 and second in queue.items


def test_dropped_folders_become_their_images_and_files_stay(tmp_path):
    (tmp_path / "album" / "2024").mkdir(parents=True)
    for name in ("album/x.JPG", "album/2024/y.png", "album/readme.txt", "loose.txt"):
        (tmp_path / name).write_bytes(b"")
    found, skipped = expand_dropped([tmp_path / "album", tmp_path / "loose.txt"])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["album/2024/y.png", "album/x.JPG", "loose.txt"]
    assert skipped == 0


def test_a_folder_denoised_again_leaves_out_its_earlier_results(tmp_path):
    (tmp_path / "album").mkdir()
    names = ("a.png", "a-denoised.png", "a-denoised-2.png", "b-denoised.jpg", "denoised.png", "c-denoisedx.png")
    for name in (*names, "b-denoised.jpg"):
        (tmp_path / "album" / name).write_bytes(b"")
    found, skipped = expand_dropped([tmp_path / "album", tmp_path / "album" / "b-denoised.jpg"])
    assert sorted(p.name for p in found) == ["a.png", "b-denoised.jpg", "c-denoisedx.png", "denoised.png"]
    assert skipped == 3  # a file named on its own is kept: the user asked for that one
