"""Model chooser with the model's card (description, size, dataset, licence, recommendation).

A page chooses which facts it shows (`model_facts` for generation, `denoising_facts` for photos)
and may name the card's summary facts: the rest (dataset, licence, the quality measurements,
training) fold behind a "More about this model" toggle, remembered per page, because the whole
card is taller than the column it shares with the page's settings.

Lists the shared `ModelCatalog` through a page-specific filter and follows its changes, so a model
registered on the Train page shows up here immediately. With no usable model it says why and
what to do instead of showing an empty box.
"""

from __future__ import annotations

import html
from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QLabel, QToolButton, QVBoxLayout, QWidget

from app.common.model_card import Facts, display_name, model_facts
from app.common.model_catalog import DEFAULT_MODEL, ModelCatalog
from app.common.settings import AppSettings
from engine.checkpoints import ModelEntry


class ModelPicker(QWidget):
    model_changed = Signal()

    def __init__(
        self,
        catalog: ModelCatalog,
        settings: AppSettings,
        settings_key: str,
        accepts: Callable[[ModelEntry], bool],
        empty_text: str,
        default_name: str = DEFAULT_MODEL,
        facts: Callable[[ModelEntry], Facts] = model_facts,
        summary: tuple[str, ...] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """`facts` makes the card's (label, value) rows. `summary`: the labels shown while the
        card is folded; None shows every fact, unfolded."""
        super().__init__(parent)
        self._default_name = default_name
        self._facts = facts
        self._summary = summary
        self._catalog = catalog
        self._settings = settings
        self._settings_key = settings_key
        self._accepts = accepts
        self._entries: list[ModelEntry] = []
        self.combo = QComboBox()
        self.combo.setToolTip("Bundled models and the models you trained (Train page)")
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.more = QToolButton()
        self.more.setText("More about this model")
        self.more.setToolTip("The rest of this model's card: its training data and more")
        self.more.setCheckable(True)
        self.more.setAutoRaise(True)
        self.more.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.more.setChecked(settings.text(f"{settings_key}/more") == "1")
        self.more.toggled.connect(self._on_more_toggled)
        self.empty_notice = QLabel(empty_text)
        self.empty_notice.setWordWrap(True)
        self.empty_notice.setStyleSheet("color:#7a4b00; background:#fff4d6; border:1px solid #e6c877;"
                                        "border-radius:4px; padding:6px;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        layout.addWidget(self.empty_notice)
        layout.addWidget(self.details)
        layout.addWidget(self.more)
        self.combo.currentIndexChanged.connect(self._on_index_changed)
        catalog.changed.connect(self.reload)
        self.reload()

    def current_entry(self) -> ModelEntry | None:
        index = self.combo.currentIndex()
        return self._entries[index] if 0 <= index < len(self._entries) else None

    def entry(self, name: str) -> ModelEntry | None:
        """The listed model of that name, without choosing it."""
        return next((entry for entry in self._entries if entry.name == name), None)

    def select(self, name: str) -> bool:
        for index, entry in enumerate(self._entries):
            if entry.name == name:
                self.combo.setCurrentIndex(index)
                return True
        return False

    def reload(self) -> None:
        """Refill from the catalog, keeping the current choice (else the last used, else the
        default bundled model, else the first)."""
        current = self.current_entry()
        wanted = [current.name] if current else []
        wanted += [self._settings.text(self._settings_key), self._default_name]
        self._entries = [e for e in self._catalog.entries if self._accepts(e)]
        self.combo.blockSignals(True)
        self.combo.clear()
        for entry in self._entries:
            self.combo.addItem(display_name(entry), entry.name)
            self.combo.setItemData(self.combo.count() - 1, str(entry.path), Qt.ItemDataRole.ToolTipRole)
        names = [e.name for e in self._entries]
        chosen = next((names.index(n) for n in wanted if n in names), 0 if names else -1)
        self.combo.setCurrentIndex(chosen)
        self.combo.blockSignals(False)
        self.combo.setEnabled(bool(self._entries))
        self.empty_notice.setVisible(not self._entries)
        self._on_index_changed()

    def _on_index_changed(self) -> None:
        entry = self.current_entry()
        if entry is not None:
            self._settings.set_text(self._settings_key, entry.name)
        self._show_facts()
        self.model_changed.emit()

    def _on_more_toggled(self, unfolded: bool) -> None:
        self._settings.set_text(f"{self._settings_key}/more", "1" if unfolded else "0")
        self._show_facts()

    def _show_facts(self) -> None:
        entry = self.current_entry()
        folded = self._summary is not None and not self.more.isChecked()
        rows = self._facts(entry) if entry else []
        self.details.setText(_facts_html(rows, self._summary if folded else None))
        self.details.setVisible(entry is not None)
        self.more.setVisible(entry is not None and self._summary is not None)
        self.more.setArrowType(Qt.ArrowType.DownArrow if self.more.isChecked() else Qt.ArrowType.RightArrow)


def _facts_html(facts: Facts, labels: tuple[str, ...] | None) -> str:
    """The rows whose label is in `labels` (None: all) as a two-column table."""
    rows = "".join(
        f"<tr><td style='color:#6b6b6b; padding-right:8px; white-space:nowrap'>{html.escape(label)}</td>"
        f"<td>{html.escape(value).replace(chr(10), '<br>')}</td></tr>"
        for label, value in facts
        if labels is None or label in labels
    )
    return f"<table cellspacing='0' cellpadding='1'>{rows}</table>"
