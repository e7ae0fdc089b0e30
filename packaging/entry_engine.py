"""Frozen entry point of the `engine` command-line executable in the PyInstaller bundle.

`multiprocessing.freeze_support()` first, for the same reason as in entry_gui.py.
"""

import multiprocessing

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from engine.cli.main import main

    raise SystemExit(main())
