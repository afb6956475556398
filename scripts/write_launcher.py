"""owns: the `scow` launcher that `make install` writes into the venv in place of pip's.

pip's console script runs the interpreter in its default mode: `site` reads every .pth file of
the venv (the editable install's path hook, setuptools' distutils hack) before scow starts.
This launcher runs `python -I -S` (isolated: no PYTHON* variables, no user site; no `site`
at all) and puts exactly scow's source folder and the venv's site-packages on sys.path, so a
command pays the interpreter's own start and nothing more before scow.cli.main knows it.
scow's own modules then load through scow/cli/loader.py's finder (their current byte code
without the import system's generic search).

Usage: python scripts/write_launcher.py VENV SRC
"""

import os
import sys
import sysconfig

TEMPLATE = """#!{python} -IS
# written by scripts/write_launcher.py (make install): `python -I -S` with scow's paths only
import sys
sys.path += {paths!r}  # after the standard library: its imports probe no other folder
from scow.cli.loader import install  # scow's modules from their byte code, straight
install()
from scow.cli.main import exit_now, main
exit_now(main())
"""


def main() -> None:
    venv, src = (os.path.abspath(p) for p in sys.argv[1:3])
    purelib = sysconfig.get_path("purelib", vars={"base": venv, "platbase": venv})
    platlib = sysconfig.get_path("platlib", vars={"base": venv, "platbase": venv})
    paths = [src, purelib] + ([platlib] if platlib != purelib else [])
    target = os.path.join(venv, "bin", "scow")
    tmp = target + ".tmp"
    with open(tmp, "w") as f:
        f.write(TEMPLATE.format(python=os.path.join(venv, "bin", "python3"), paths=paths))
    os.chmod(tmp, 0o755)
    os.replace(tmp, target)


if __name__ == "__main__":
    main()
