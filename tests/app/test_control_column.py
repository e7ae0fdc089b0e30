"""Every page's main action stays on screen in a short window, the column is never narrower than
its widest row, and the Generate page's model card folds its long measurements away until asked."""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtWidgets import QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from app.denoise.denoise_page import DenoisePage
from app.generate.generate_page import GeneratePage
from app.train.train_page import TrainPage
from app.widgets.control_column import control_column
from app_helpers import make_tiny_model

# A card as long as the bundled models' (quality measurements, a measured solver trade-off).
LONG_CARD = {
    "description": "A model with a long card",
    "licence": "MIT",
    "dataset": "test pixels",
    "quality": {f"measurement {i}": 0.5 + i for i in range(12)},
    "solver_tradeoff": [{"solver": f"rk4 x{k}", "evals/block": 4 * k, "FD": 10.0 + k, "s/image": 0.1 * k}
                        for k in range(1, 6)],
    "solver_tradeoff_note": "ddpm 50 steps, one run of 200 images per row on one CPU thread",
}


@pytest.fixture
def long_card_digits(context, bundled_dir):
    shutil.rmtree(bundled_dir / "digits")
    make_tiny_model(bundled_dir / "digits", channels=1, image_size=8, card=LONG_CARD)
    context.catalog.refresh()


def show_short(qtbot, page: QWidget) -> QWidget:
    qtbot.addWidget(page)
    page.resize(1100, 520)
    with qtbot.waitExposed(page):
        page.show()
    return page


@pytest.mark.parametrize("page_class, button", [(GeneratePage, "generate_button"),
                                                (DenoisePage, "denoise_button"),
                                                (TrainPage, "start_button")])
def test_the_main_action_is_visible_without_scrolling(qtbot, context, long_card_digits, page_class, button):
    page = show_short(qtbot, page_class(context))
    action = getattr(page, button)
    assert action.isVisible()
    visible = action.visibleRegion().boundingRect()
    assert visible.size() == action.size(), f"{button} is cut off: {visible} of {action.size()}"


def test_generate_card_folds_its_details_and_remembers_unfolding(qtbot, context, long_card_digits):
    page = show_short(qtbot, GeneratePage(context))
    folded = page.picker.details.text()
    assert "A model with a long card" in folded
    assert "MIT" not in folded and "measurement 11" not in folded
    assert page.picker.more.isVisible()

    page.picker.more.click()
    unfolded = page.picker.details.text()
    assert "MIT" in unfolded and "test pixels" in unfolded and "measurement 11" in unfolded

    again = show_short(qtbot, GeneratePage(context))
    assert again.picker.more.isChecked() and "MIT" in again.picker.details.text()


def test_a_row_that_appears_later_widens_the_column_instead_of_being_cut_off(qtbot):
    panel = QWidget()
    column_layout = QVBoxLayout(panel)
    column_layout.addWidget(QLabel("narrow"))
    wide = QPushButton("a row far wider than the column first needed " * 3)
    wide.hide()
    column_layout.addWidget(wide)
    column = control_column(panel, QVBoxLayout(), min_width=50)
    qtbot.addWidget(column)
    with qtbot.waitExposed(column):
        column.show()
    first = column.minimumWidth()
    assert first < wide.sizeHint().width()
    wide.show()  # as the class picker shows once a class-conditional model is chosen
    qtbot.waitUntil(lambda: column.minimumWidth() > first)
    scroll = column.findChild(QScrollArea)
    qtbot.waitUntil(lambda: scroll.viewport().width() >= panel.minimumSizeHint().width())
    assert wide.visibleRegion().boundingRect().width() == wide.width()
