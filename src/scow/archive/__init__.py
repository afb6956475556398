"""owns: layer tars: reading with DiffID and tar-split in one pass, safe extraction, writing,
whiteouts, changes between two trees, compression sniffing.

The API the rest of scow uses (module by module):

- ``compression``: ``detect(head: bytes) -> "gzip"|"zstd"|"none"``;
  ``decompressed(stream) -> BinaryIO`` (sniffs the magic, isal for gzip, backports.zstd);
  ``compressor(out, kind="gzip"|"zstd", level=None) -> BinaryIO`` (a writer to close).
- ``tarstream``: ``TarHeader`` (frozen: name, kind, mode, uid, gid, size, mtime, linkname,
  devmajor, devminor, xattrs) and ``TarEntry`` (``header`` + ``read(n)`` of the payload, valid
  until the next entry); ``LayerReader(stream)``: ``entries()`` yields TarEntry while hashing
  every byte and recording tar-split; ``finish()`` drains trailing bytes; then ``diff_id``,
  ``size`` (bytes of the tar) and ``tar_split`` (gzip'd NDJSON, moby's format) are set.
- ``tarsplit``: ``assemble(tar_split, open_file, out)`` rebuilds the exact tar from tar-split
  and a function opening a layer file by its archive name (crc64 verified per file).
- ``extract``: ``apply_layer(root, entries, *, whiteouts="overlay"|"oci") -> int`` extracts
  entries under `root` and never writes outside it (raises ``UnsafeArchive``); returns the sum
  of entry sizes.
- ``writer``: ``write_tree(root, out, *, whiteouts="overlay"|None)`` tars a folder the way
  moby does (PAX, whole-second mtimes, numeric ids, empty uname/gname, hardlinks once by
  (dev, ino), security.capability only); overlay whiteouts are converted to OCI on the way.
- ``changes``: ``Change(path, kind)``; ``changes_dirs(new, old)`` (ChangesDirs);
  ``export_changes(root, changes, out)``; ``changes_size(root, changes)``.
"""
