"""owns: `python -m scow` (the tests' way in: it loads scow's modules as the launcher does)."""

from scow.cli.loader import install

install()

from scow.cli.main import exit_now, main  # noqa: E402 - after the finder is in place

exit_now(main())
