"""python -m trial check|summary|demo (see trial/cli.py)."""

from trial.cli import main

raise SystemExit(main())
