"""What docker-py's own integration suite (bench/dockerpy_suite.py) found wrong in the service,
each checked with docker-py against `scow system service` (the `service` fixture)."""

from __future__ import annotations

from tests.api.conftest import Service
from tests.tools import require_runc


def test_start_logs_and_archive_are_served(service: Service) -> None:
    """The attach, logs and archive route modules are registered (the merge had left them
    out: every start was a 500 on the missing attach table)."""
    require_runc()
    client = service.client()
    cid = client.create_container("base:1", ["echo", "hi"])["Id"]
    try:
        client.start(cid)
        assert client.wait(cid)["StatusCode"] == 0
        assert client.logs(cid) == b"hi\n"
        stream, stat = client.get_archive(cid, "/etc/passwd")
        assert stat["name"] == "passwd" and b"".join(stream)
    finally:
        client.remove_container(cid, force=True)
        client.close()
