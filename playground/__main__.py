"""`python -m playground ...`: see playground/cli.py."""

from playground.cli import main

raise SystemExit(main())
