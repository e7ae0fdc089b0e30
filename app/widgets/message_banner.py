"""An inline, non-modal message strip at the top of a page (errors, warnings, confirmations).

Used instead of message boxes for results of background work: a modal box would block the user
(and tests) while the rest of the app keeps running.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

_STYLES = {
    "error": "background:#fde8e8; color:#7a1010; border:1px solid #e0a0a0; border-radius:4px;",
    "info": "background:#e8f1fd; color:#0f3b73; border:1px solid #a8c4ea; border-radius:4px;",
    "warning": "background:#fff4d6; color:#7a4b00; border:1px solid #e6c877; border-radius:4px;",
}


class MessageBanner(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = ""
        self._label = QLabel()
        self._label.setWordWrap(True)
        self._label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss this message")
        close.clicked.connect(self.clear)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self._label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_error(self, text: str) -> None:
        self.show_message("error", text)

    def show_info(self, text: str) -> None:
        self.show_message("info", text)

    def show_warning(self, text: str) -> None:
        """Done, but with a catch the user should know about."""
        self.show_message("warning", text)

    def text(self) -> str:
        return self._label.text() if self.kind else ""

    def clear(self) -> None:
        self.kind = ""
        self._label.clear()
        self.hide()

    def show_message(self, kind: str, text: str) -> None:
        """`kind` is "error", "info" or "warning" (for a view model that decides which)."""
        self.kind = kind
        self.setStyleSheet(f"MessageBanner {{{_STYLES[kind]}}}")
        self._label.setText(text)
        self.show()
