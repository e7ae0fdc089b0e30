"""The Denoise page's drop handler gets the whole hostile image corpus (tests/robustness/corpus.py),
dropped the way a file manager drops files: as percent-encoded file URLs of the names' bytes.
Every bad file ends as an error row with a specific reason, every good one is denoised at its
upright size, the page stays usable, and saving writes one new file per good photo, never over
an original and never leaving a temporary file."""

from __future__ import annotations

import os
import re
from urllib.parse import quote_from_bytes

from PIL import Image
from PySide6.QtCore import QUrl

from app.denoise.denoise_page import DenoisePage
from app.denoise.denoise_queue import DONE, ERROR
from app_helpers import drop_urls
from helpers import fingerprint
from robustness.corpus import CASES, build_corpus


def file_manager_drop(page, paths):
    """A drop as file managers send it: file:// URLs whose path is the name's bytes, percent-encoded
    (so a Latin-1 name arrives as %E9, not as text)."""
    drop_urls(page, [QUrl.fromEncoded(b"file://" + quote_from_bytes(os.fsencode(path)).encode()) for path in paths])


def test_every_hostile_file_dropped_on_the_denoise_page(qtbot, context, tmp_path):
    corpus = tmp_path / "corpus"
    build_corpus(corpus)
    before = fingerprint(corpus)
    files = [case for case in CASES if case.file]
    page = DenoisePage(context)
    qtbot.addWidget(page)
    page.show()
    assert page.picker.select("tiny-rgb")
    page.controls.auto_sigma.setChecked(False)
    page.controls.sigma.setValue(20.0)
    file_manager_drop(page, [corpus / case.name for case in files])
    assert [item.path.name for item in page.queue.items] == [case.name for case in files]

    with qtbot.waitSignal(page.queue_idle, timeout=120_000):
        page.denoise_button.click()
    for case, item in zip(files, page.queue.items):
        reason = case.reason or case.photo_only_reason
        if reason is None:
            assert item.status == DONE, (case.name, item.message)
            height, width = item.outcome.after.shape[:2]
            assert (width, height) == case.size, case.name
        else:
            assert item.status == ERROR and re.search(reason, item.message), (case.name, item.message)
            assert "\n" not in item.message and "Unexpected error" not in item.message
    assert page.denoise_button.isEnabled() and page.banner.kind != "error"

    out = tmp_path / "out"
    context.dialogs.folder = out
    page.output.choose_folder()
    done = [item for item in page.queue.items if item.status == DONE]
    page.output.save_all_button.click()
    qtbot.waitUntil(lambda: all(item.saved_to is not None for item in done), timeout=30_000)
    assert sorted(out.iterdir()) == sorted(item.saved_to for item in done), "one file per photo, no temp files"
    for item in done:
        with Image.open(item.saved_to) as image:
            assert image.size == (item.outcome.after.shape[1], item.outcome.after.shape[0])
    assert fingerprint(corpus) == before, "the originals are never changed"
