"""owns: `python -m bench.analyze_synthetic`: how long `scow image analyze`'s analysis takes on
a synthetic 1 GB, 67,000-entry image (four layers: 30,000 files of 20 kB, 30,000 of 10 kB,
5,000 rewritten, 2,000 whiteouts), made as tar-split records only (no file data is written),
so it measures what the command does: read tar-split, build dive's trees, stack the layers.
"""

from __future__ import annotations

import tarfile
import time

from scow.analyze.entries import read_layer
from scow.analyze.report import analyze
from scow.archive.tarsplit import TarSplitWriter


def _tar_split(names: list[str], size: int) -> bytes:
    writer = TarSplitWriter()
    for name in names:
        info = tarfile.TarInfo(name)
        info.size, info.mode = size, 0o644
        writer.segment(info.tobuf(tarfile.PAX_FORMAT))
        writer.file(name.encode(), size, 12345)
    return writer.finish()


def main() -> None:
    files = [f"usr/lib/pkg{i % 2000}/file{i}.so" for i in range(60000)]
    whiteouts = [f"usr/lib/pkg{i % 2000}/.wh.file{i}.so" for i in range(5000, 7000)]
    splits = [_tar_split(files[:30000], 20000), _tar_split(files[30000:], 10000),
              _tar_split(files[:5000], 20000), _tar_split(whiteouts, 0)]
    start = time.perf_counter()
    layers = [read_layer(s) for s in splits]
    read = time.perf_counter()
    result = analyze("sha256:synthetic", "synthetic", layers, ["a", "b", "c", "d"], [])
    done = time.perf_counter()
    print(f"{sum(map(len, layers))} entries, {result.size / 1e9:.2f} GB: read tar-split "
          f"{read - start:.2f} s, analysis {done - read:.2f} s, total {done - start:.2f} s")


if __name__ == "__main__":
    main()
