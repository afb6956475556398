"""owns: `python -m bench.dockerpy_suite CHECKOUT [--dockerd] [-k EXPR] [--keep]`: docker-py's own
integration tests (issue 16's "Done when") against `scow system service`, or against a dockerd
of our own with `--dockerd`, and the pass/fail/skip counts per file.

CHECKOUT is a docker-py 7.2.0 source tree outside the repository, e.g.
`git -C <docker-py git dir> archive 7.2.0 | tar x -C /work/dockerpy-7.2.0`. The suite runs
with this repository's .venv (docker 7.2.0; it also needs paramiko and pytest-timeout:
`make dockerpy-suite` installs them). Everything lives in one temp folder: the scow root (vfs)
and its socket, or dockerd's data root, exec root and socket; the server is stopped by its pid.

There is no internet, so the images the suite expects (`alpine:3.10`, `alpine:latest`,
`busybox:latest`, `hello-world:latest`) are made from Debian's busybox-static rootfs
(demo/make-busybox-rootfs.sh) with an alpine-like /etc/passwd (a `postgres` user, uid 70) and
/var/opt, imported and tagged; `hello-world` is a separate one-file image. Tests that rely on
the image really being alpine or on Docker Hub are deselected (DESELECT, with the reason).
Not part of `make test`: it needs the fetched checkout.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FILES = ["api_build", "api_client", "api_container", "api_exec", "api_healthcheck", "api_image",
         "api_volume", "client", "errors", "models_containers", "models_images",
         "models_resources", "models_volumes", "regression"]
HUB = "needs Docker Hub (pull/push/search/distribution)"
BRIDGE = "needs the default bridge network (ports, links, MAC, DNS); ours runs --bridge=none"
SWARM = "needs swarm"
# test id (relative to tests/integration) -> why it is left out
DESELECT: dict[str, str] = {
    "api_image_test.py::PullImageTest::test_pull": HUB,
    "api_image_test.py::PullImageTest::test_pull_streaming": HUB,
    "api_image_test.py::PullImageTest::test_pull_invalid_platform": HUB,
    "api_image_test.py::SaveLoadImagesTest::test_get_image_load_image": HUB,
    "api_image_test.py::ImportImageTest::test_get_load_image": HUB,
    "api_image_test.py::PruneImagesTest::test_prune_images": HUB,
    "api_image_test.py::InspectDistributionTest::test_inspect_distribution": HUB,
    "models_images_test.py::ImageCollectionTest::test_pull": HUB,
    "models_images_test.py::ImageCollectionTest::test_pull_with_tag": HUB,
    "models_images_test.py::ImageCollectionTest::test_pull_with_sha": HUB,
    "models_images_test.py::ImageCollectionTest::test_pull_multiple": HUB,
    "models_images_test.py::ImageCollectionTest::test_list": HUB,
    "models_images_test.py::ImageCollectionTest::test_list_with_repository": HUB,
    "models_images_test.py::ImageTest::test_tag_and_remove": HUB,
    "api_container_test.py::CreateContainerTest::test_create_with_mac_address": BRIDGE,
    "api_container_test.py::CreateContainerTest::test_create_with_links": BRIDGE,
    "api_container_test.py::PortTest::test_port": BRIDGE,
    "models_containers_test.py::ContainerCollectionTest::test_run_with_network": BRIDGE,
    "models_containers_test.py::ContainerCollectionTest::test_run_with_networking_config":
        BRIDGE,
    "models_containers_test.py::ContainerCollectionTest::"
    "test_run_with_networking_config_with_undeclared_network": BRIDGE,
    "models_containers_test.py::ContainerCollectionTest::"
    "test_run_with_networking_config_only_undeclared_network": BRIDGE,
    "models_containers_test.py::ContainerTest::test_ports_target_none": BRIDGE,
    "models_containers_test.py::ContainerTest::test_ports_target_tuple": BRIDGE,
    "models_containers_test.py::ContainerTest::test_ports_target_list": BRIDGE,
    "regression_test.py::TestRegressions::test_792_explicit_port_protocol": BRIDGE,
    "api_build_test.py::BuildTest::test_build_with_network_mode": BRIDGE,
    "api_container_test.py::GetContainerStatsTest::test_get_container_stats_no_stream":
        "expects `networks` in the stats: " + BRIDGE,
    "models_containers_test.py::ContainerTest::test_stats":
        "expects `networks` in the stats: " + BRIDGE,
    "models_containers_test.py::ContainerCollectionTest::test_run_with_image_that_does_not_exist":
        HUB + ": pulls a missing image and expects Hub's 404",
}


def busybox_rootfs(out: Path) -> None:
    """The busybox-static rootfs with alpine's `postgres` user and /var/opt."""
    raw = out.with_suffix(".raw.tar")
    subprocess.run([str(REPO / "demo" / "make-busybox-rootfs.sh"), str(raw)], check=True)
    extra = {"etc/passwd": b"root:x:0:0:root:/root:/bin/sh\npostgres:x:70:70::/var/lib/postgresql"
             b":/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
             "etc/group": b"root:x:0:\npostgres:x:70:\nnogroup:x:65534:\n"}
    with tarfile.open(raw) as src, tarfile.open(out, "w") as dst:
        for member in src.getmembers():
            name = member.name.removeprefix("./")
            if name in extra:
                member.size = len(extra[name])
                dst.addfile(member, io.BytesIO(extra[name]))
            else:
                dst.addfile(member, src.extractfile(member) if member.isfile() else None)
        for folder in ("var/opt", "var/lib"):
            info = tarfile.TarInfo(folder)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 1704067200
            dst.addfile(info)
    raw.unlink()


def hello_tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = b"Hello from a stand-in of Docker Hub's hello-world.\n"
        info = tarfile.TarInfo("hello")
        info.size, info.mode, info.mtime = len(data), 0o644, 1704067200
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def prepare_images(host: str, work: Path) -> None:
    import docker

    rootfs = work / "busybox.tar"
    busybox_rootfs(rootfs)
    client = docker.APIClient(base_url=host, version="auto")
    try:
        client.import_image_from_data(rootfs.read_bytes(), repository="alpine", tag="3.10",
                                      changes=['CMD ["/bin/sh"]'])
        for repo, tag in (("alpine", "latest"), ("busybox", "latest")):
            client.tag("alpine:3.10", repo, tag)
        client.import_image_from_data(hello_tar(), repository="hello-world", tag="latest",
                                      changes=['CMD ["/hello"]'])
    finally:
        client.close()


def wait_socket(sock: Path, proc: subprocess.Popen[bytes], log: Path) -> None:
    import docker

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited: {log.read_text(errors='replace')[-800:]}")
        if sock.exists():
            try:
                docker.APIClient(base_url=f"unix://{sock}", version="auto").close()
                return
            except docker.errors.DockerException:
                pass
        time.sleep(0.3)
    raise SystemExit("the server was not ready in 60 s")


@contextmanager
def server(work: Path, use_dockerd: bool) -> Iterator[str]:
    sock, log_path = work / "engine.sock", work / "server.log"
    if use_dockerd:
        binary = shutil.which("dockerd") or sys.exit("dockerd is not installed (docker.io)")
        argv = [binary, "--data-root", str(work / "data"), "--exec-root", str(work / "exec"),
                "--pidfile", str(work / "docker.pid"), "-H", f"unix://{sock}",
                "--iptables=false", "--bridge=none", "--storage-driver=overlay2"]
        env = dict(os.environ)
    else:
        argv = [sys.executable, "-m", "scow", "--root", str(work / "root"), "system",
                "service", "--socket", f"unix://{sock}", "--time", "0"]
        env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "PYTHONFAULTHANDLER": "1"}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=log, env=env, start_new_session=True,
                                stdin=subprocess.DEVNULL)
        try:
            wait_socket(sock, proc, log_path)
            yield f"unix://{sock}"
        finally:
            if proc.poll() is not None:
                print(f"the server had exited with {proc.returncode} before the end",
                      file=sys.stderr)
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if use_dockerd:
                subprocess.run(["umount", "-R", "-l", str(work / "data")], check=False,
                               capture_output=True)
            else:
                remove_containers(work / "root", env)


def remove_containers(root: Path, env: dict[str, str]) -> None:
    """The suite's containers outlive the service (scow is daemonless): removed with scow's
    CLI, so that nothing stays mounted or running."""
    scow = [sys.executable, "-m", "scow", "--root", str(root)]
    ids = subprocess.run([*scow, "ps", "-aq"], env=env, capture_output=True, text=True,
                         check=False).stdout.split()
    if ids:
        subprocess.run([*scow, "rm", "-f", "-v", *ids], env=env, capture_output=True,
                       check=False, timeout=300)


def run_suite(checkout: Path, host: str, junit: Path, extra: list[str]) -> int:
    tests = checkout / "tests" / "integration"
    args = [str(tests / f"{name}_test.py") for name in FILES]
    for test_id in DESELECT:
        args += ["--deselect", f"tests/integration/{test_id}"]
    env = {**os.environ, "DOCKER_HOST": host, "DOCKER_TEST_API_VERSION": "1.41",
           "DOCKER_BUILDKIT": "0", "PYTHONPATH": str(checkout)}
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--timeout", "60",
           f"--junitxml={junit}", "-q", "--rootdir", str(checkout), *args, *extra]
    return subprocess.run(cmd, cwd=checkout, env=env, check=False).returncode


def counts(junit: Path) -> dict[str, dict[str, int]]:
    per_file: dict[str, dict[str, int]] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = case.get("classname", "").split(".")[2].removesuffix("_test")
        row = per_file.setdefault(name, {"passed": 0, "failed": 0, "skipped": 0})
        if case.find("failure") is not None or case.find("error") is not None:
            row["failed"] += 1
        elif case.find("skipped") is not None:
            row["skipped"] += 1
        else:
            row["passed"] += 1
    return per_file


def report(per_file: dict[str, dict[str, int]], label: str) -> None:
    print(f"\n{label}: per file (passed / failed / skipped)")
    total = {"passed": 0, "failed": 0, "skipped": 0}
    for name in sorted(per_file):
        row = per_file[name]
        print(f"  {name:20} {row['passed']:4} {row['failed']:4} {row['skipped']:4}")
        for key in total:
            total[key] += row[key]
    print(f"  {'total':20} {total['passed']:4} {total['failed']:4} {total['skipped']:4}")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dockerpy_suite")
    parser.add_argument("checkout", type=Path, help="a docker-py 7.2.0 source tree")
    parser.add_argument("--dockerd", action="store_true", help="run against a dockerd of ours")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    opts, pytest_args = parser.parse_known_args()  # the rest goes to pytest (e.g. -k EXPR)
    work = Path(tempfile.mkdtemp(prefix="dockerpy-suite-"))
    os.chmod(work, 0o755)
    try:
        with server(work, opts.dockerd) as host:
            prepare_images(host, work)
            run_suite(opts.checkout.resolve(), host, work / "junit.xml",
                      [a for a in pytest_args if a != "--"])
        if not (work / "junit.xml").exists():
            print("no results: pytest did not finish", file=sys.stderr)
            return 1
        report(counts(work / "junit.xml"), "dockerd" if opts.dockerd else "scow")
    finally:
        if opts.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
