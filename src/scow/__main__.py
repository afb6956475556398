"""owns: `python -m scow`."""

from scow.cli.main import main

raise SystemExit(main())
