"""owns: layer tars: reading with DiffID and tar-split in one pass, safe extraction, writing,
whiteouts, changes between two trees, compression sniffing.

The API the rest of scow uses (module by module; import the submodule, this package is empty):

- ``compression``: ``detect(head: bytes) -> "gzip"|"zstd"|"none"`` (bzip2/xz raise
  ``Unsupported``); ``decompressed(stream) -> BinaryIO`` (sniffs the magic without seeking,
  isal for gzip, backports.zstd; bad or truncated data raise ``MalformedArchive``);
  ``compressor(out, kind="gzip"|"zstd"|"none", level=None) -> BinaryIO`` (a writer to close;
  gzip level 1 by default, at most 3; zstd level 3; `out` stays open).
- ``crc64``: ``update(crc, data) -> int`` / ``checksum(data)``: Go's CRC-64/ISO (ISA-L via the
  isal package, pure-Python fallback ``update_py``).
- ``tarstream``: ``Kind`` (REG, DIR, SYMLINK, HARDLINK, CHAR, BLOCK, FIFO); ``TarHeader``
  (frozen: name (cleaned, relative, no trailing slash; "." for the root), kind, mode (perms with
  suid/sgid/sticky), uid, gid, size, mtime (float), linkname, devmajor, devminor,
  xattrs (``SCHILY.xattr.*``), raw_name (bytes as archived)); ``TarEntry`` (``header``,
  ``read(n=-1)``, ``readinto(buf)``, ``chunks()`` of memoryviews; valid until the next entry,
  unread payload skipped); ``LayerReader(stream, *, tar_split=True)``: ``entries()`` yields
  TarEntry while hashing every byte and recording tar-split; ``finish()`` drains the rest
  (EOF marker, trailing junk); then ``diff_id`` ("sha256:<hex>"), ``size`` (bytes of the tar)
  and ``tar_split`` (gzip'd NDJSON, moby's format) are set. Duplicate paths, truncated or
  garbage tars raise ``MalformedArchive``; sparse entries ``Unsupported``.
  ``clean_name(name)`` is moby's ``path.Clean(TrimLeft(name, "/"))``.
- ``tarsplit``: ``assemble(tar_split, open_file, out)`` rebuilds the exact tar from tar-split
  and a function opening a layer file by its archived name (crc64 checked per file;
  ``DigestMismatch`` "verify layer file <name>: checksum mismatch"); ``entry_names(tar_split)``
  yields (name, size) per file entry; ``TarSplitWriter`` is what LayerReader fills.
- ``extract``: ``apply_layer(root, entries, *, whiteouts="overlay"|"oci"|"none") -> int``
  extracts entries under `root` (a path, or a folder's fd that stays the caller's; "none":
  ``.wh.`` names are plain files, for ``scow cp``) and never writes outside it (breakouts
  raise ``UnsafeArchive``; parents resolved in the root with openat2/fd-relative calls);
  returns the sum of entry sizes.
  ``is_local(name)`` is Go's ``filepath.IsLocal``.
- ``writer``: ``write_tree(root, out, *, whiteouts="overlay"|None, paths=None)`` tars a folder
  the way moby does (USTAR unless PAX is needed, whole-second mtimes, numeric ids, empty
  uname/gname, hardlinks once by (dev, ino), security.capability only, sockets skipped; with
  ``whiteouts="overlay"`` overlay whiteouts/opaque dirs become ``.wh.`` entries);
  ``TarWriter(out)`` with ``add(TarHeader, data)``, ``add_path(root, name, whiteouts=, seen=)``,
  ``add_bytes(name, data, mode=, uid=, gid=, mtime=)``, ``add_whiteout(name)``, ``close()``;
  ``header_bytes(TarHeader) -> bytes`` (what Go's tar.Writer emits).
- ``changes``: ``Change(path, kind)`` (path like "/etc/passwd", kind "A"|"C"|"D");
  ``changes_dirs(new, old)`` (ChangesDirs; ``old=None`` lists everything as added);
  ``export_changes(root, changes, out)``; ``changes_size(root, changes)``.
"""
