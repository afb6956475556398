"""owns: the help of the management commands (`scow container|image|system|volume|network|
builder [--help]`): docker's "Commands:" block, one line a command with its description, a
command listed once under its own name (its aliases are on its own --help).

The commands of a group come from main.COMMANDS (module per command, descriptions from the
module's `command().short`); volume and network, one module each, list their verbs here.
"""

from __future__ import annotations

import importlib

TITLES = {"container": "Manage containers", "image": "Manage images",
          "network": "Manage networks", "system": "Manage scow", "volume": "Manage volumes",
          "builder": "Manage builds"}
VERBS = {
    "volume": [("create", "Create a volume"),
               ("inspect", "Display detailed information on one or more volumes"),
               ("ls", "List volumes"), ("prune", "Remove unused local volumes"),
               ("rm", "Remove one or more volumes")],
    "network": [("connect", "Connect a container to a network"),
                ("create", "Create a network"),
                ("disconnect", "Disconnect a container from a network"),
                ("inspect", "Display detailed information on one or more networks"),
                ("ls", "List networks"), ("prune", "Remove all unused networks"),
                ("rm", "Remove one or more networks")],
}
HIDDEN = {"container cleanup"}  # run by a container's monitor, not by users
PREFERRED = ("ls", "rm")  # docker's own name when a command has aliases in the group


def group_commands(group: str, commands: dict[str, str]) -> list[tuple[str, str]]:
    """(name, one-line description) of each command of `group`, sorted by name."""
    if group in VERBS:
        return VERBS[group]
    by_module: dict[str, list[str]] = {}
    for words, module in commands.items():
        if words.startswith(group + " ") and words not in HIDDEN:
            by_module.setdefault(module, []).append(words.split(" ", 1)[1])
    out = []
    for module, names in by_module.items():
        name = next((n for n in names if n in PREFERRED), names[0])
        short = importlib.import_module(f"scow.cli.commands.{module}").command().short
        out.append((name, short.strip()))
    return sorted(out)


def group_help(group: str, commands: dict[str, str]) -> str:
    """docker's help of a management command (cobra's template: names padded to the longest
    plus one, at least 11)."""
    rows = group_commands(group, commands)
    pad = max([11, *(len(name) for name, _ in rows)]) + 1
    lines = ["", f"Usage:  scow {group} COMMAND", "", TITLES[group], "", "Commands:"]
    lines += [f"  {name:<{pad}}{short}" for name, short in rows]
    lines += ["", f"Run 'scow {group} COMMAND --help' for more information on a command.", ""]
    return "\n".join(lines)
