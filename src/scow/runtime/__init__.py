"""owns: running containers on a real OCI runtime (runc) under a monitor that outlives scow.

The engine's path through it (see docs/design/runtime.md):
    spec = make_spec(RunConfig(...), rootfs, container_dir)       # scow.runtime.spec
    write_etc_files(container_dir, hostname); write_bundle(container_dir, spec)
    started = start_container(container_dir, cid, Runc(path, root), MonitorOptions(...),
                              attach=True)                         # scow.runtime.monitor
    for kind, data in started.attach.frames(): ...                 # scow.runtime.attach
    state = wait(container_dir, cid, runc)  /  stop(...)  /  refresh(...)  /  remove(...)
    exec_process(runc, cid, ExecConfig(...), rootfs, stdout=fd)    # scow.runtime.exec
    read_logs(container_dir + "/container.log", tail=..., follow=...)  # scow.runtime.logs
Import the submodules directly; this package imports nothing (cheap `scow ps`).
"""
