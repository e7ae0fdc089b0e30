"""What every page needs from the window, passed in one object so tests can build a page alone."""

from __future__ import annotations

from dataclasses import dataclass

from app.common.dialogs import Dialogs
from app.common.model_catalog import ModelCatalog
from app.common.settings import AppSettings


@dataclass
class AppContext:
    settings: AppSettings
    dialogs: Dialogs
    catalog: ModelCatalog
