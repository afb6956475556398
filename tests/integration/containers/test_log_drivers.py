"""Log drivers on real runc: json-file rotation (max-size, max-file, compress), `none`
refused by `logs`, journald refused where no journald listens, docker's option checks,
scow.toml's log-driver/log-opts defaults, HostConfig.LogConfig in inspect."""

from __future__ import annotations

import gzip
import json
import os

from tests.integration.containers.kit import Scow

from scow.runtime.logdriver import journal_entry, journald_available


def _lines(path: str) -> list[dict[str, str]]:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:  # type: ignore[operator]
        return [json.loads(line) for line in f]


def test_json_file_rotation(one: Scow) -> None:
    one("run", "--name", "rot", "--log-opt", "max-size=1k", "--log-opt", "max-file=3",
        "bb:1", "sh", "-c", "for i in $(seq 1 200); do echo line-$i; done")
    folder = one.root / "containers" / one.full_id("rot")
    names = sorted(os.listdir(folder))
    assert "container.log.1" in names and "container.log.2" in names
    assert "container.log.3" not in names  # max-file 3: the oldest fell off
    for name in ("container.log", "container.log.1", "container.log.2"):
        assert os.path.getsize(folder / name) <= 1024 + 100
    out = one.out("logs", "rot").split()
    assert out[-1] == "line-200" and "line-1" not in out  # what is kept, in order
    assert out == [f"line-{i}" for i in range(201 - len(out), 201)]
    doc = one.inspect("rot")["HostConfig"]["LogConfig"]
    assert doc == {"Type": "json-file", "Config": {"max-size": "1k", "max-file": "3"}}


def test_json_file_compress(one: Scow) -> None:
    one("run", "--name", "gz", "--log-opt", "max-size=1k", "--log-opt", "max-file=3",
        "--log-opt", "compress=true", "bb:1", "sh", "-c",
        "for i in $(seq 1 200); do echo line-$i; done")
    folder = one.root / "containers" / one.full_id("gz")
    assert (folder / "container.log.1.gz").exists() and (folder / "container.log.2.gz").exists()
    assert not (folder / "container.log.1").exists()
    assert _lines(str(folder / "container.log.1.gz"))[0]["log"].startswith("line-")
    assert one.out("logs", "gz").split()[-1] == "line-200"


def test_none_driver_refuses_logs(one: Scow) -> None:
    out = one("run", "--name", "quiet", "--log-driver", "none", "bb:1", "echo", "hello")
    assert out.stdout == "hello\n"  # attached output still comes through
    proc = one("logs", "quiet", check=False)
    assert proc.returncode == 1
    assert "configured logging driver does not support reading" in proc.stderr
    doc = one.inspect("quiet")
    assert doc["HostConfig"]["LogConfig"] == {"Type": "none", "Config": {}}
    assert doc["LogPath"] == ""


def test_log_options_checked(one: Scow) -> None:
    cases = [(["--log-driver", "bogus"], "logger: no log driver named 'bogus' is registered"),
             (["--log-opt", "foo=bar"], "unknown log opt 'foo' for json-file log driver"),
             (["--log-opt", "max-file=0"], "max-file cannot be less than 1"),
             (["--log-opt", "max-size=-1"], "invalid size"),
             (["--log-opt", "compress=true"], "compress cannot be true when max-file is less "
                                               "than 2 or max-size is not set"),
             (["--log-driver", "local", "--log-opt", "foo=1"],
              "unknown log opt 'foo' for local log driver")]
    if not journald_available():
        cases.append((["--log-driver", "journald"], "journald is not enabled on this host"))
    for flags, text in cases:
        proc = one("create", *flags, "bb:1", "true", check=False)
        assert proc.returncode != 0 and text in proc.stderr, (flags, proc.stderr)
        assert "Traceback" not in proc.stderr


def test_scow_toml_log_defaults(one: Scow) -> None:
    (one.root / "scow.toml").write_text(
        'log-driver = "local"\n[log-opts]\nmax-size = "2k"\n')
    one("create", "--name", "dflt", "bb:1", "true")
    one("create", "--name", "other", "--log-driver", "json-file", "bb:1", "true")
    assert one.inspect("dflt")["HostConfig"]["LogConfig"] == {
        "Type": "local", "Config": {"max-size": "2k"}}
    assert one.inspect("other")["HostConfig"]["LogConfig"] == {
        "Type": "json-file", "Config": {}}  # the defaults' options are the default driver's
    one("start", "-a", "dflt")
    assert one.out("logs", "dflt") == ""
    (one.root / "scow.toml").write_text('log-opts = "x"\n')
    proc = one("create", "bb:1", "true", check=False)
    assert proc.returncode != 0 and "log-opts: not a table of strings" in proc.stderr
    (one.root / "scow.toml").unlink()  # the fixture's rm -f reads it too


def test_journal_entry_format() -> None:
    assert journal_entry({"MESSAGE": b"hi", "PRIORITY": b"6"}) == b"MESSAGE=hi\nPRIORITY=6\n"
    assert journal_entry({"MESSAGE": b"a\nb"}) == \
        b"MESSAGE\n" + (3).to_bytes(8, "little") + b"a\nb\n"


def test_local_driver_writes_docker_frames(one: Scow) -> None:
    from scow.runtime.locallog import local_split

    one("run", "--name", "loc", "--log-driver", "local", "--log-opt", "max-size=1k",
        "--log-opt", "max-file=2", "bb:1", "sh", "-c",
        "for i in $(seq 1 100); do echo line-$i; done; echo err >&2; printf tail")
    folder = one.root / "containers" / one.full_id("loc") / "local-logs"
    assert sorted(os.listdir(folder)) == ["container.log", "container.log.1"]
    data = (folder / "container.log").read_bytes()
    size = int.from_bytes(data[:4], "big")
    assert data[4 + size:8 + size] == data[:4]  # the size again after the entry
    entries, rest = local_split(data)
    assert rest == b"" and entries[-1].data == b"tail" and entries[-1].stream == "stdout"
    assert entries[-2].data == b"err\n" and entries[-2].stream == "stderr"
    out = one("logs", "loc")
    assert out.stdout.endswith("line-100\ntail") and out.stderr == "err\n"
    assert one.inspect("loc")["LogPath"] == ""


def test_local_frames_round_trip() -> None:
    from scow.runtime.locallog import encode_entry, local_split

    frames = encode_entry("stdout", b"hello\n", 1_700_000_000_123_456_789) + \
        encode_entry("stderr", b"part", 5)
    entries, rest = local_split(frames + frames[:6])
    assert rest == frames[:6]  # a frame being written waits for the rest
    assert [(e.stream, e.data, e.time) for e in entries] == [
        ("stdout", b"hello\n", "2023-11-14T22:13:20.123456789Z"),
        ("stderr", b"part", "1970-01-01T00:00:00.000000005Z")]
