"""owns: container networking below the engine: netavark (podman's network stack) driven as a
process, the network namespaces scow makes for containers, docker's `-p` syntax, and the
netavark firewall chains scow may have to clean up. Nothing here knows about the store."""
