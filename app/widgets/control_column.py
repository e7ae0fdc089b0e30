"""The left column every page has: settings stacked vertically, scrolling when the window is
short, never scrolling sideways (it is always at least as wide as its widest row, also after a row
appears or grows).

The page's main action (Generate, Denoise, Start...) sits in a footer pinned below the scrolling
part: at 1280x800 a long model card pushed it off screen, and the button the user came for must
never need scrolling to find.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLayout, QScrollArea, QVBoxLayout, QWidget


def control_column(panel: QWidget, footer: QLayout, min_width: int) -> QWidget:
    scroll = QScrollArea()
    scroll.setWidget(panel)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scrollbar = scroll.verticalScrollBar().sizeHint().width()
    column = QWidget()
    layout = QVBoxLayout(column)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(scroll, 1)
    footer.setContentsMargins(panel.layout().contentsMargins())
    layout.addLayout(footer)
    _WidestRow(panel, column, min_width, scrollbar).fit()
    return column


class _WidestRow(QObject):
    """Keeps the column as wide as the panel's widest row whenever the panel's layout changes: a
    row shown later (the class picker of a class-conditional model, a longer model card) would
    otherwise be cut off at the right edge, since the column never scrolls sideways."""

    def __init__(self, panel: QWidget, column: QWidget, min_width: int, scrollbar: int) -> None:
        super().__init__(column)
        self._panel, self._column, self._min_width, self._scrollbar = panel, column, min_width, scrollbar
        panel.installEventFilter(self)

    def fit(self) -> None:
        self._column.setMinimumWidth(max(self._min_width, self._panel.minimumSizeHint().width() + self._scrollbar))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            self.fit()
        return False


def scroll_into_view(widget: QWidget) -> None:
    """Scroll the column holding `widget` so that it shows (once the layout has made room for a
    widget just unfolded): unfolded details below the fold looked as if nothing had happened."""
    def reveal() -> None:
        area = widget.parentWidget()
        while area is not None and not isinstance(area, QScrollArea):
            area = area.parentWidget()
        if area is not None:
            area.ensureWidgetVisible(widget, 0, 0)
    QTimer.singleShot(0, widget, reveal)


def side_by_side(*widgets: QWidget, stretch_last: bool = False) -> QWidget:
    """Widgets in a row, as one widget (so a form can lock the row as a whole); the first takes
    the spare width, or, with `stretch_last`, none does and they keep to the left."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    for index, widget in enumerate(widgets):
        layout.addWidget(widget, 1 if index == 0 and not stretch_last else 0)
    if stretch_last:
        layout.addStretch(1)
    return row
