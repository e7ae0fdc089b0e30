"""Regenerate the screenshots in docs/screenshots/ (generate.png, inpaint.png, denoise.png, train.png).

Runs `python -m app --screenshots docs/screenshots`: a real, short session with the installed
models (offscreen, so it also works without a display). Rerun it after bundling new models.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"


def main() -> int:
    root = SCREENSHOTS.parent.parent
    return subprocess.call([sys.executable, "-m", "app", "--screenshots", str(SCREENSHOTS)], cwd=root)


if __name__ == "__main__":
    raise SystemExit(main())
