"""``python -m mlbook`` is the ``mlbook`` command."""

from .cli import main

raise SystemExit(main())
