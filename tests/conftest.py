import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).parent))

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_user_data(tmp_path_factory, monkeypatch):
    """Keep every test's user model store out of the real home folder."""
    monkeypatch.setenv("CUNET_STUDIO_HOME", str(tmp_path_factory.mktemp("home")))
