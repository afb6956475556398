"""owns: `python -m scow`."""

from scow.cli.main import exit_now, main

exit_now(main())
