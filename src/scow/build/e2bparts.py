"""owns: loading the parts of e2b-dockerfile-utils that a build uses after the parse, its
shell lexer (``ShellLex``) and its .dockerignore matcher (``PatternMatcher``), without the
package's ``__init__``, which imports its Dockerfile parser and with it ``dataclasses``
(inspect, ast, dis, tokenize: ~40M instructions, a third of an unchanged rebuild's process).

A rebuild whose parse comes from the store (``build.parsecache``) thus never loads the parser.
The submodules are loaded from the package's own folder, as the import system would find them,
and registered under their own names, so a later ``import e2b_dockerfile_utils`` (a parse)
reuses them: there is one ``ShellLex`` class in the process either way.
"""

from __future__ import annotations

import os
import sys
import threading

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from types import ModuleType

    from e2b_dockerfile_utils.dockerignore import PatternMatcher
    from e2b_dockerfile_utils.lexer import ShellLex

_PACKAGE = "e2b_dockerfile_utils"
_LOCK = threading.Lock()  # parallel stages: one module object per submodule


def shell_lex() -> type[ShellLex]:
    """e2b's port of BuildKit's shell lexer."""
    cls: type[ShellLex] = _submodule("lexer").ShellLex
    return cls


def pattern_matcher() -> type[PatternMatcher]:
    """e2b's port of moby's .dockerignore matcher."""
    cls: type[PatternMatcher] = _submodule("dockerignore").PatternMatcher
    return cls


def parser_files() -> list[str]:
    """The files of e2b's parser and lexer, as the import system would find them (not
    loaded): what build/parsecache.py keys its entries on, besides scow's own."""
    for entry in sys.path:  # a plain package's search (importlib loads warnings: start-up)
        folder = os.path.join(entry or ".", _PACKAGE)
        if os.path.isfile(os.path.join(folder, "__init__.py")):
            return [os.path.join(folder, f) for f in ("__init__.py", "syntax.py", "lexer.py")]
    return []


def _submodule(name: str) -> ModuleType:
    full = f"{_PACKAGE}.{name}"
    with _LOCK:
        module = sys.modules.get(full)
        if module is not None:
            return module
        import importlib

        if _PACKAGE in sys.modules:  # the parser is loaded: its submodules are too
            return importlib.import_module(full)
        from importlib.machinery import PathFinder
        from importlib.util import module_from_spec

        package = PathFinder.find_spec(_PACKAGE)
        where = package.submodule_search_locations if package is not None else None
        spec = PathFinder.find_spec(full, list(where)) if where else None
        if spec is None or spec.loader is None:  # not a plain folder package: the usual way
            return importlib.import_module(full)
        module = module_from_spec(spec)
        sys.modules[full] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[full]
            raise
        return module
