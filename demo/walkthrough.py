#!/usr/bin/env python3
"""The reference page's storage walkthrough ("About storage drivers"; demo/walkthrough.sh runs
it with the CLI) as a Python program against `scow.Engine` alone, in docker-py's object model:
no scow command, no daemon, no socket. Each claim of the page that it shows is also checked;
the first that does not hold ends the program with its number (S11..S16 of the reference
page's digest, storage-drivers.md).

    .venv/bin/python demo/walkthrough.py [--root DIR] [--storage-driver NAME]

It needs runc (RUN steps, containers), busybox-static (the base image: there is no registry
to pull alpine from) and Debian's docker-registry (push and pull, on loopback). The store is
a folder of its own (default /tmp/scow-walkthrough), emptied first; a second store beside it
(DIR-pulled) shows a pull from the registry sharing layers, and is removed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from scow import Engine

HERE = Path(__file__).resolve().parent
BASE, FINAL = "acme/my-base-image:1.0", "acme/my-final-image:1.0"
DOCKERFILE_BASE = """\
FROM busybox
RUN rm -f /bin/bash && printf '#!/bin/sh\\nexec /bin/sh "$@"\\n' > /bin/bash && chmod +x /bin/bash
"""
DOCKERFILE = f"FROM {BASE}\nCOPY . /app\nRUN chmod +x /app/hello.sh\nCMD /app/hello.sh\n"
HELLO = '#!/bin/sh\necho "Hello world"\n'


# -- the walkthrough ---------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default="/tmp/scow-walkthrough")
    parser.add_argument("--storage-driver", default=None)
    args = parser.parse_args()
    fresh_root(args.root)
    with tempfile.TemporaryDirectory(prefix="scow-walkthrough-") as work, \
            Engine(root=args.root, storage_driver=args.storage_driver) as engine:
        base_image(engine, Path(work))
        build_images(engine, Path(work) / "cow-test")
        show_images(engine)
        show_store(engine)
        share_containers(engine)
        with registry(Path(work) / "registry") as address:
            push_and_pull(engine, address, args.root + "-pulled", args.storage_driver)
        step("clean up")
        for i in range(1, 6):
            engine.containers.get(f"my_container_{i}").remove(force=True)
    print("\nevery claim of the page held")
    return 0


def base_image(engine: Engine, work: Path) -> None:
    step("a base image: busybox from Debian's busybox-static")
    tar = work / "busybox.tar"
    subprocess.run([str(HERE / "make-busybox-rootfs.sh"), str(tar)], check=True)
    with open(tar, "rb") as f:
        image_id = engine.images.import_image(f, reference="busybox:latest",
                                              changes=['CMD ["/bin/sh"]'],
                                              message="busybox rootfs", source=str(tar))
    print(image_id)


def build_images(engine: Engine, cow: Path) -> None:
    step("the page's two Dockerfiles (`apk add bash` becomes a /bin/bash that runs busybox sh)")
    cow.mkdir(parents=True)
    (cow / "hello.sh").write_text(HELLO)
    (cow / "Dockerfile.base").write_text(DOCKERFILE_BASE)
    (cow / "Dockerfile").write_text(DOCKERFILE)
    for dockerfile, tag in (("Dockerfile.base", BASE), ("Dockerfile", FINAL)):
        print(f"built {tag}: {build(engine, cow, dockerfile, tag)}")
    step("an unchanged rebuild: every step cached, the same image ID")
    first = engine.images.get(FINAL).id
    again = build(engine, cow, "Dockerfile", FINAL)
    check(again == first, "S11", f"a rebuild made {again}, not {first}")


def build(engine: Engine, context: Path, dockerfile: str, tag: str) -> str:
    """docker build --tag TAG -f DOCKERFILE CONTEXT, its progress printed; the image ID."""
    image_id = ""
    for event in engine.images.build(str(context), dockerfile=dockerfile, tag=tag):
        print(event.get("stream", ""), end="")
        image_id = event.get("aux", {}).get("ID", image_id)
    return image_id


def show_images(engine: Engine) -> None:
    step("image ls: the sizes are not additive (S12)")
    table(("REPOSITORY", "TAG", "IMAGE ID", "SIZE"),
          [(*tag.rsplit(":", 1), image.short_id.removeprefix("sha256:"),
            human(image.attrs["Size"]))
           for image in engine.images.list() for tag in image.tags])
    for name in (BASE, FINAL):
        step(f"image history {name}: one row per instruction, 0B for metadata")
        table(("IMAGE", "CREATED BY", "SIZE"),
              [(row.id[7:19] if row.id.startswith("sha256:") else row.id,
                row.created_by[:60], human(row.size))
               for row in engine.images.get(name).history()])
    base = engine.images.get(BASE).attrs["RootFS"]["Layers"]
    final = engine.images.get(FINAL).attrs["RootFS"]["Layers"]
    step("RootFS.Layers: the final image's first two layers are the base image's (S13)")
    print(f"{BASE}:  {base}\n{FINAL}: {final}")
    check(len(base) == 2 and final[:2] == base and len(final) == 4, "S13",
          "the final image does not stack two layers on the base image's two")
    step("what the final image's own layers hold, read without extracting them")
    for layer in engine.images.layers(FINAL)[2:]:
        print(layer.diff_id[7:19], [f.path for f in layer.files()])
    step(f"run --rm {FINAL}")
    output = run_removed(engine, FINAL)
    print(output.decode(), end="")
    check(output == b"Hello world\n", "S16", f"run printed {output!r}")


def show_store(engine: Engine) -> None:
    step("info")
    for key, value, indent in engine.system.info():
        print(" " * indent + f"{key}: {value}")
    driver = engine.store.driver.name
    step(f"the store on disk: one folder per layer under {driver}/, not named by layer ID (S10)")
    print(sorted(os.listdir(engine.root)))
    print(sorted(os.listdir(os.path.join(engine.root, driver))))


def share_containers(engine: Engine) -> None:
    step("five containers share the image's layers, each with a thin writable layer (S14)")
    for i in range(1, 6):  # docker run -dit --name my_container_$i acme/my-final-image:1.0 bash
        container = engine.containers.create(FINAL, ["bash"], name=f"my_container_{i}",
                                             tty=True, stdin_open=True)
        container.start()  # the two are engine.containers.run(..., detach=True)
        print(container.id)
    sizes = ps_size(engine)
    check(all(sizes[f"my_container_{i}"] == 0 for i in range(1, 6)), "S14",
          f"new containers' writable layers are not empty: {sizes}")
    folders = os.path.join(engine.root, "containers")
    for name in sorted(os.listdir(folders)):
        print(f"{human(du(os.path.join(folders, name)))}\t{folders}/{name}")
    step("copy-on-write: three containers write a file; only their writable layers grow")
    for i in range(1, 4):
        result = engine.containers.get(f"my_container_{i}").exec_run(
            ["sh", "-c", "printf hello > /out.txt"])
        check(result.exit_code == 0, "S14", f"exec failed: {result.output!r}")
    sizes = ps_size(engine)
    check([sizes[f"my_container_{i}"] for i in range(1, 6)] == [5, 5, 5, 0, 0], "S14",
          f"sizes after the writes are not 5B x3 and 0B x2: {sizes}")


def push_and_pull(engine: Engine, address: str, fresh: str, driver: str | None) -> None:
    step(f"shared layers are shared on push and pull too (S11, S13): a registry at {address}")
    for name in (BASE, FINAL):
        engine.images.get(name).tag(f"{address}/{name}")
        digests = engine.images.push(f"{address}/{name}", progress=Printed())
        print(f"pushed {address}/{name}: {digests[0]}")
    step("a fresh store pulls them back: the final image's first two layers already exist")
    shutil.rmtree(fresh, ignore_errors=True)
    try:
        with Engine(root=fresh, storage_driver=driver) as other:
            other.images.pull(f"{address}/{BASE}", progress=Printed())
            seen = Printed()
            other.images.pull(f"{address}/{FINAL}", progress=seen)
            check(seen.statuses.count("Already exists") == 2, "S13",
                  f"the pull did not reuse the base image's two layers: {seen.statuses}")
            output = run_removed(other, f"{address}/{FINAL}")
            print(output.decode(), end="")
            check(output == b"Hello world\n", "S11", f"the pulled image printed {output!r}")
    finally:
        shutil.rmtree(fresh, ignore_errors=True)


# -- helpers -----------------------------------------------------------------------------------

class Printed:
    """A pull/push progress callback given docker's JSON messages: prints each layer's status
    once, as `docker pull` ends up showing them."""

    def __init__(self) -> None:
        self.last: dict[str, str] = {}
        self.statuses: list[str] = []

    def __call__(self, message: dict[str, Any]) -> None:
        id, status = message.get("id"), message["status"]
        if id is None or "progressDetail" not in message:
            print(f"{id}: {status}" if id else status)
        elif self.last.get(id) != status:
            self.last[id] = status
            self.statuses.append(status)
            if not message["progressDetail"]:
                print(f"{id}: {status}")


def run_removed(engine: Engine, image: str) -> bytes:
    """docker run --rm IMAGE: what it printed (ContainerError if it exits non-zero)."""
    output = engine.containers.run(image, remove=True)
    assert isinstance(output, bytes)  # run gives bytes unless detach=True
    return output


def ps_size(engine: Engine) -> dict[str, int]:
    """docker ps --size --format "table {{.ID}}\\t{{.Image}}\\t{{.Names}}\\t{{.Size}}"."""
    summaries = engine.containers.list_containers(size=True)
    table(("CONTAINER ID", "IMAGE", "NAMES", "SIZE"),
          [(s.id[:12], s.image, s.name,
            f"{human(s.size_rw or 0)} (virtual {human(s.size_root_fs or 0)})")
           for s in summaries])
    return {s.name: s.size_rw or 0 for s in summaries}


@contextlib.contextmanager
def registry(folder: Path) -> Iterator[str]:
    """Debian's docker-registry on a free loopback port, stopped by its pid."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder.mkdir()
    config = folder / "config.yml"
    config.write_text(f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
                      f"    rootdirectory: {folder / 'data'}\nhttp:\n  addr: 127.0.0.1:{port}\n")
    with open(folder / "log", "wb") as log:
        proc = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=log,
                                stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1).close()
                break
            time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def fresh_root(root: str) -> None:
    """Empty the walkthrough's store: its containers first (they hold mounts), then the
    folder; a folder that is not a scow store is left alone."""
    if not os.path.exists(root):
        return
    if os.listdir(root) and not os.path.exists(os.path.join(root, "scow.db")):
        sys.exit(f"walkthrough: {root} is not a scow store; choose another --root")
    with Engine(root=root) as old:
        for container in old.containers.list(all=True):
            container.remove(force=True)
    shutil.rmtree(root)


def du(path: str) -> int:
    return sum(os.lstat(os.path.join(d, f)).st_size for d, _, files in os.walk(path)
               for f in files) + 4096


def human(size: float) -> str:
    """docker's HumanSize: three significant digits, decimal units (7.75MB)."""
    units = ("B", "kB", "MB", "GB", "TB")
    i = 0
    while size >= 1000 and i < len(units) - 1:
        size, i = size / 1000, i + 1
    return f"{size:.3g}{units[i]}"


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=False)]
    for row in (header, *rows):
        print("   ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def check(ok: bool, claim: str, what: str) -> None:
    if not ok:
        sys.exit(f"walkthrough: {claim} does not hold: {what}")


if __name__ == "__main__":
    sys.exit(main())
