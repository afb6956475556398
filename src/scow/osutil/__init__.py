"""owns: the Linux primitives scow needs: atomic writes, locks, mounts, syscalls, xattrs."""
