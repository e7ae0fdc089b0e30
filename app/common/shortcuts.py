"""Keyboard shortcuts that press a page's buttons.

Each shortcut lives on a page and only fires while that page is visible (Qt ignores shortcuts of
hidden widgets), and it clicks the button rather than calling the action, so a disabled button
(e.g. Generate while running) also disables its shortcut.
"""

from __future__ import annotations

from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractButton, QWidget

RUN_KEYS = ("Ctrl+Return", "Ctrl+Enter")
CANCEL_KEYS = ("Esc",)
SAVE_KEYS = ("Ctrl+S",)
SAVE_ALL_KEYS = ("Ctrl+Shift+S",)
OPEN_KEYS = ("Ctrl+O",)


def press_on(page: QWidget, keys: tuple[str, ...], button: QAbstractButton) -> None:
    for key in keys:
        QShortcut(QKeySequence(key), page).activated.connect(button.click)
    label = QKeySequence(keys[0]).toString(QKeySequence.SequenceFormat.NativeText)
    button.setToolTip(f"{button.toolTip()} ({label})" if button.toolTip() else label)
