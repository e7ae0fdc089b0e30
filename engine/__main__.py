"""`python -m engine ...` (also what `torchrun -m engine train ...` runs)."""

from engine.cli.main import main

raise SystemExit(main())
