"""File paths from dropped URLs, byte-exact, and the drop handling the pages share.

File managers send a dropped file as a file:// URL whose path is the file name's *bytes*,
percent-encoded. `QUrl.toLocalFile()` decodes those bytes as UTF-8 and replaces what is not
UTF-8 (a Latin-1 name from an old camera card) with U+FFFD, naming a file that does not exist.
Decoding the bytes the way Python's own file functions do (`os.fsdecode`) keeps every name.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote_to_bytes

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent


def local_path(url: QUrl) -> Path:
    """The local file a file:// URL names (call only when `url.isLocalFile()`)."""
    encoded = url.path(QUrl.ComponentFormattingOption.FullyEncoded)
    return Path(os.fsdecode(unquote_to_bytes(encoded)))


def dropped_paths(urls: list[QUrl]) -> list[Path]:
    return [local_path(url) for url in urls if url.isLocalFile()]


class FileDropTarget:
    """Mixin for a QWidget page (listed before QWidget): takes drops of local files anywhere on
    it and hands their paths to `files_dropped`; the page calls `setAcceptDrops(True)`."""

    def files_dropped(self, paths: list[Path]) -> None:
        raise NotImplementedError

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = dropped_paths(event.mimeData().urls())
        if paths:
            event.acceptProposedAction()
            self.files_dropped(paths)
