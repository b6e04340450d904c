"""``python -m cc_tui`` runs the command line."""

from cc_tui.cli import main

raise SystemExit(main())
