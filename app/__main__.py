"""`python -m app` starts the desktop app, the same as the `cunet-studio` command."""

from app.main import main

raise SystemExit(main())
