"""Frozen entry point of the `cunet-studio` executable (the PyInstaller bundle's GUI).

`multiprocessing.freeze_support()` must run before anything else: without it a frozen
executable that starts a child process (torch and Qt may) would start another copy of the app.
"""

import multiprocessing

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from app.main import main

    raise SystemExit(main())
