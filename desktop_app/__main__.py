"""Allow ``python -m desktop_app``."""

from desktop_app.app import main

raise SystemExit(main())
