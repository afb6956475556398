"""What is left when things die, and the commands that clean up: kill -9 of the monitor or of
the container's process, rm -f, rmi of an image in use, container prune, volumes, inspect."""

from __future__ import annotations

import json
import os
import signal

from tests.integration.containers.kit import Scow, mounts_under, pid_alive, wait_for


def _mounted(sc: Scow) -> list[str]:
    return [m for m in mounts_under(sc.root) if "/merged" in m or "/mnt" in m]


def test_monitor_killed(sc: Scow) -> None:
    sc("run", "-d", "--name", "orphan", "bb:1", "sleep", "1000")
    state = sc.state("orphan")
    os.kill(state["shim_pid"], signal.SIGKILL)
    wait_for(lambda: not pid_alive(state["shim_pid"]), what="the monitor to die")
    assert sc.out("ps", "-a", "--format", "{{.Names}} {{.State}} {{.Status}}").startswith(
        "orphan exited Exited (137)")
    wait_for(lambda: not pid_alive(state["pid"]), what="the container process to go")
    sc("rm", "orphan")
    assert sc.out("ps", "-aq") == ""
    assert not _mounted(sc)


def test_container_process_killed(sc: Scow) -> None:
    sc("run", "-d", "--name", "shot", "bb:1", "sleep", "1000")
    state = sc.state("shot")
    os.kill(state["pid"], signal.SIGKILL)
    wait_for(lambda: sc.status("shot") == "exited", what="the container to exit")
    assert sc.inspect("shot")["State"]["ExitCode"] == 137
    wait_for(lambda: not pid_alive(state["shim_pid"]), what="the monitor to finish")
    if sc.driver == "overlay2":
        assert not _mounted(sc)  # the monitor's exit command unmounted it
    sc("start", "shot")  # and it can run again
    assert sc.status("shot") == "running"
    sc("rm", "-f", "shot")
    assert not _mounted(sc)


def test_rm_force_running(sc: Scow) -> None:
    sc("run", "-d", "--name", "busy", "bb:1", "sleep", "1000")
    state = sc.state("busy")
    assert sc.out("rm", "-f", "busy") == "busy\n"
    assert not pid_alive(state["pid"]) and not pid_alive(state["shim_pid"])
    assert sc.out("ps", "-aq") == "" and not _mounted(sc)


def test_rmi_of_an_image_in_use(one: Scow) -> None:
    one("create", "--name", "base", "bb:1", "true")
    one("commit", "base", "x:1")  # an image with one name only
    cid = one.out("create", "x:1", "true").strip()
    image = one.out("image", "inspect", "--format", "{{.Id}}", "x:1").strip()
    proc = one("rmi", "x:1", check=False)
    assert proc.returncode == 1
    assert proc.stderr == ('Error: conflict: unable to remove repository reference "x:1" '
                           f"(must force) - container {cid[:12]} is using its referenced "
                           f"image {image[7:19]}\n")
    one("tag", "x:1", "y:1")
    assert one.out("rmi", "x:1") == "Untagged: x:1\n"  # another name is left: no conflict
    one("rm", cid)
    assert "Deleted: " + image in one.out("rmi", "y:1")


def test_rmi_force_of_an_image_a_running_container_uses(one: Scow) -> None:
    """docker: with -f, a name is untagged (exit 0) and the image stays for the container;
    deleting it by ID is the conflict that cannot be forced."""
    one("create", "--name", "base", "bb:1", "true")
    one("commit", "base", "x:1")
    one("run", "-d", "--name", "up", "x:1", "sleep", "1000")
    image = one.out("image", "inspect", "--format", "{{.Id}}", "x:1").strip()
    try:
        proc = one("rmi", "-f", "x:1", check=False)
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, "Untagged: x:1\n", "")
        assert one.out("image", "inspect", "--format", "{{.Id}}", image) == image + "\n"
        proc = one("rmi", "-f", image, check=False)
        assert proc.returncode == 1 and proc.stderr == (
            f"Error: conflict: unable to delete {image[7:19]} (cannot be forced) - image is "
            f"being used by running container {one.full_id('up')[:12]}\n")
    finally:
        one("rm", "-f", "up")
    assert "Deleted: " + image in one.out("rmi", image)


def test_container_prune(one: Scow) -> None:
    one("run", "--name", "done1", "bb:1", "sh", "-c", "printf 123 > /f")
    one("create", "--name", "fresh", "bb:1", "true")
    one("run", "-d", "--name", "alive", "bb:1", "sleep", "1000")
    out = one.out("container", "prune", "-f").splitlines()
    assert out[0] == "Deleted Containers:" and len(out[1]) == 64 and len(out) == 5
    assert out[-1] == "Total reclaimed space: 3B"
    assert one.out("ps", "-a", "--format", "{{.Names}}") == "alive\n"


def test_prune_skips_a_container_an_attached_run_is_about_to_start(one: Scow) -> None:
    """`run` holds the exit claim from create to its exit work: a concurrent prune must not
    remove the created container before its start (the stress mix's `run --rm` + `system
    prune` failed with "No such container")."""
    from scow.runtime.exit_claim import claimed

    cid = one.out("create", "bb:1", "true").strip()
    with claimed(str(one.root / "containers" / cid)):  # as `run` holds it
        assert one.out("container", "prune", "-f").count(cid) == 0
        assert one.status(cid) == "created"
    assert cid in one.out("container", "prune", "-f")


def test_volume_commands(one: Scow) -> None:
    assert one.out("volume", "create", "vol1") == "vol1\n"
    one("volume", "create", "--label", "k=v", "vol2")
    ls = one.out("volume", "ls").splitlines()
    assert ls[0].split() == ["DRIVER", "VOLUME", "NAME"]
    assert [line.split() for line in ls[1:]] == [["local", "vol1"], ["local", "vol2"]]
    doc = json.loads(one.out("volume", "inspect", "vol2"))[0]
    assert doc["Name"] == "vol2" and doc["Driver"] == "local" and doc["Labels"] == {"k": "v"}
    assert doc["Mountpoint"] == str(one.root / "volumes" / "vol2" / "_data")
    one("create", "--name", "user", "-v", "vol1:/data", "bb:1", "true")
    proc = one("volume", "rm", "vol1", check=False)
    assert proc.returncode == 1 and "volume is in use" in proc.stderr
    pruned = one.out("volume", "prune", "-f", "-a")
    assert "vol2" in pruned and "vol1" not in pruned
    one("rm", "user")
    assert one.out("volume", "rm", "vol1") == "vol1\n"
    assert one.out("volume", "ls", "-q") == ""
    proc = one("volume", "inspect", "nope", check=False)
    assert proc.returncode == 1 and "no such volume" in proc.stderr


def test_inspect_container(sc: Scow) -> None:
    sc("run", "-d", "--name", "seen", "-v", "named:/data", "bb:1", "sleep", "1000")
    sc("exec", "seen", "sh", "-c", "printf abc > /abc")
    doc = sc.inspect("seen", "-s")
    assert list(doc)[:6] == ["Id", "Created", "Path", "Args", "State", "Image"]
    assert doc["State"]["Status"] == "running" and doc["State"]["Pid"] > 0
    assert doc["Name"] == "/seen" and doc["Path"] == "sleep" and doc["Args"] == ["1000"]
    assert doc["SizeRw"] == 3 and doc["SizeRootFs"] > 3
    mount = doc["Mounts"][0]
    assert mount["Type"] == "volume" and mount["Name"] == "named"
    assert mount["Destination"] == "/data" and mount["RW"] is True
    graph = doc["GraphDriver"]
    assert graph["Name"] == sc.driver
    if sc.driver == "overlay2":
        assert graph["Data"]["LowerDir"].split(":")[0].endswith("-init/diff")
        assert graph["Data"]["MergedDir"].endswith("/merged")
    assert "SizeRw" not in sc.inspect("seen")
    assert sc.out("inspect", "--format", "{{.State.Running}} {{.Config.Image}}",
                  "seen") == "true bb:1\n"


def test_start_writes_again_the_etc_files_a_power_loss_took(one: Scow) -> None:
    """create writes hostname, hosts and resolv.conf without fsync; a power loss can leave
    them missing or empty (created, data not yet on disk), and the next start writes them."""
    one("create", "--name", "lost", "--network", "none", "--hostname", "box", "bb:1", "sh", "-c",
        "cat /etc/hostname /etc/hosts")
    folder = one.root / "containers" / one.full_id("lost")
    (folder / "hostname").write_bytes(b"")  # what delayed allocation can leave
    (folder / "hosts").unlink()
    out = one.out("start", "-a", "lost")
    assert out.splitlines()[0] == "box"
    assert "127.0.1.1\tbox" in out


def test_attached_run_does_its_exit_work_itself(one: Scow) -> None:
    """The waiting `run` releases the mount and removes a --rm container itself; the monitor
    then finds the work done and runs no exit command (exactly one of them does it)."""
    proc = one("run", "--network", "none", "--name", "kept", "bb:1", "sh", "-c", "exit 3",
               check=False)
    assert proc.returncode == 3
    folder = one.root / "containers" / one.full_id("kept")
    state = one.state("kept")
    wait_for(lambda: not pid_alive(state["shim_pid"]), what="the monitor to exit")
    assert (folder / "shim.log").read_text().count("exit work done by the waiting run") == 1
    assert not (folder / "exit.done").exists()
    if one.driver == "overlay2":
        assert not _mounted(one)
    assert one("run", "--rm", "--network", "none", "bb:1", "true").returncode == 0
    assert one.out("ps", "-aq") == one.out("ps", "-aq", "--filter", "name=kept")


def test_killed_run_rm_is_removed_by_the_monitor(one: Scow) -> None:
    """A `run --rm` killed while it waits: its claim goes with it, the monitor's exit command
    does the work and the container is removed."""
    import subprocess

    from tests.integration.containers.kit import env

    proc = subprocess.Popen(one.argv("run", "--rm", "--network", "none", "--name", "brief",
                                     "bb:1", "sleep", "1"),
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env())
    wait_for(lambda: one.out("ps", "-q", "--filter", "name=brief") != "",
             what="the container to run")
    proc.kill()
    proc.wait()
    wait_for(lambda: one.out("ps", "-aq", "--filter", "name=brief") == "", timeout=30,
             what="the monitor to remove the container")
    assert not _mounted(one)


def _exit_work_by_waiter(sc: Scow, name: str) -> int:
    """How many times the container's monitor found its exit work done by the process that
    waited for the exit (and so ran no exit command, a second scow process)."""
    log = sc.root / "containers" / sc.full_id(name) / "shim.log"
    return log.read_text().count("exit work done by the waiting run")


def test_stop_does_the_exit_work_itself(sc: Scow) -> None:
    """`stop` takes the exit claim before its signal and releases the mount itself: the
    monitor is gone and the mount released when it returns, with no exit command run."""
    sc("run", "-d", "--network", "none", "--name", "halt", "bb:1", "sleep", "1000")
    shim_pid = sc.state("halt")["shim_pid"]
    sc("stop", "-t", "0", "halt")
    assert not pid_alive(shim_pid)  # stop returned after its monitor
    assert _exit_work_by_waiter(sc, "halt") == 1
    assert not (sc.root / "containers" / sc.full_id("halt") / "exit.done").exists()
    assert not _mounted(sc)
    sc("start", "halt")  # a claim left behind does not hold the next run's exit work
    sc("stop", "-t", "0", "halt")
    assert _exit_work_by_waiter(sc, "halt") == 2
    assert not _mounted(sc)
    assert sc.status("halt") == "exited"


def test_stop_of_a_detached_rm_container_removes_it(one: Scow) -> None:
    one("run", "-d", "--rm", "--network", "none", "--name", "gone", "bb:1", "sleep", "1000")
    one("stop", "-t", "0", "gone")
    assert one.out("ps", "-aq") == ""  # removed when stop returns (docker's AutoRemove)


def test_stop_while_an_attached_run_waits_leaves_the_work_to_it(one: Scow) -> None:
    """The attached `run` holds the claim: `stop` waits for its exit work, then returns."""
    import subprocess

    from tests.integration.containers.kit import env

    proc = subprocess.Popen(one.argv("run", "--rm", "--network", "none", "--name", "held",
                                     "bb:1", "sleep", "1000"),
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env())
    try:
        wait_for(lambda: one.out("ps", "-q", "--filter", "name=held") != "",
                 what="the container to run")
        one("stop", "-t", "0", "held")
        assert one.out("ps", "-aq") == ""  # the run removed it before stop returned
        assert proc.wait(timeout=30) == 137
    finally:
        proc.kill()
        proc.wait()

