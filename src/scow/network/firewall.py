"""owns: the chains netavark shares between all its users (``NETAVARK_FORWARD`` in filter,
``NETAVARK-HOSTPORT-{DNAT,MASQ,SETMARK}`` in nat, and their jumps): whether they exist, and
removing them once empty when scow made them. netavark removes a network's own chains with its
last container but leaves these; scow removes them only if it found them absent before its first
setup (another engine's netavark may have made them) and only while they hold no rule of any
network, so no rule scow did not make is ever touched."""

from __future__ import annotations

from scow.osutil.spawn import run_captured

FORWARD_JUMP = ("FORWARD", "-m", "comment", "--comment", "netavark firewall plugin rules",
                "-j", "NETAVARK_FORWARD")
NAT_JUMPS = (("PREROUTING", "-m", "addrtype", "--dst-type", "LOCAL", "-j",
              "NETAVARK-HOSTPORT-DNAT"),
             ("OUTPUT", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "NETAVARK-HOSTPORT-DNAT"),
             ("POSTROUTING", "-j", "NETAVARK-HOSTPORT-MASQ"))
BASE_RULES = {
    "NETAVARK-HOSTPORT-MASQ": 1,  # the masquerade of marked packets
    "NETAVARK-HOSTPORT-SETMARK": 1,  # the mark itself
}


def _iptables(*args: str) -> tuple[int, str]:
    """iptables' exit status and output (not through subprocess: a last container's `rm`
    or `stop` runs it; osutil/spawn.py)."""
    code, out, _ = run_captured(["iptables", "-w", "30", *args], timeout=60)
    return code, out.decode(errors="replace")


def rules_of(table: str, chain: str) -> list[str] | None:
    """The rules (-A lines) of a chain, or None when it does not exist."""
    code, out = _iptables("-t", table, "-S", chain)
    if code != 0:
        return None
    return [ln for ln in out.splitlines() if ln.startswith("-A ")]


def base_chains_present() -> bool:
    return rules_of("filter", "NETAVARK_FORWARD") is not None or \
        rules_of("nat", "NETAVARK-HOSTPORT-DNAT") is not None


def remove_base_chains() -> list[str]:
    """Remove the shared chains that hold only netavark's base rules; returns what went."""
    removed = []
    if rules_of("filter", "NETAVARK_FORWARD") == []:
        _iptables("-t", "filter", "-D", *FORWARD_JUMP)
        if _iptables("-t", "filter", "-X", "NETAVARK_FORWARD")[0] == 0:
            removed.append("filter NETAVARK_FORWARD")
    nat = {c: rules_of("nat", c) for c in ("NETAVARK-HOSTPORT-DNAT", *BASE_RULES)}
    if nat["NETAVARK-HOSTPORT-DNAT"] == [] and all(
            rules is not None and len(rules) <= BASE_RULES[c]
            for c, rules in nat.items() if c in BASE_RULES):
        for jump in NAT_JUMPS:
            _iptables("-t", "nat", "-D", *jump)
        for chain in nat:
            _iptables("-t", "nat", "-F", chain)
        for chain in nat:
            if _iptables("-t", "nat", "-X", chain)[0] == 0:
                removed.append(f"nat {chain}")
    return removed


def scow_chains_leftover(prefixes: tuple[str, ...]) -> list[str]:
    """The nat/filter chains whose names start with one of `prefixes` (a network's own chains
    are NETAVARK-<hash of its id>)."""
    out = []
    for table in ("filter", "nat"):
        for ln in _iptables("-t", table, "-S")[1].splitlines():
            if ln.startswith("-N ") and ln[3:].startswith(prefixes):
                out.append(f"{table} {ln[3:]}")
    return out


def network_chains(name: str) -> tuple[str, str]:
    """netavark's own nat chains of the network it knows as `name` (a hash of the name)."""
    from scow.ids import builtin_hash  # not OpenSSL's: its load costs a last container's rm

    digest = builtin_hash("sha512")(name.encode()).hexdigest()[:13].upper()
    return f"NETAVARK-{digest}", f"NETAVARK-DN-{digest}"


def remove_empty_network_chains(name: str) -> list[str]:
    """Delete the network's chains that hold no rule and no jump points at (a teardown cut
    short leaves them); scow's networks are named scow-<id> for netavark, so these are
    scow's own."""
    removed = []
    for chain in network_chains(name):
        if rules_of("nat", chain) == [] and \
                _iptables("-t", "nat", "-X", chain)[0] == 0:
            removed.append(f"nat {chain}")
    return removed
