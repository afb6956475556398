"""network/firewall.py names netavark's chains of a network as netavark does (the sha512 of
its name), hashed by the interpreter's own sha512, not OpenSSL's."""

from __future__ import annotations

import hashlib

from scow.network.firewall import network_chains


def test_chain_names_are_netavarks() -> None:
    digest = hashlib.sha512(b"scow-0123456789").hexdigest()[:13].upper()
    assert network_chains("scow-0123456789") == (f"NETAVARK-{digest}", f"NETAVARK-DN-{digest}")
