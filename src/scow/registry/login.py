"""owns: `login` and `logout`: check credentials against a registry (GET /v2/ with Basic, or
a bearer token fetched with them), then store or remove them in docker's config file (see
scow.registry.credentials for the layout)."""

from __future__ import annotations

from scow.registry.client import RegistryClient
from scow.registry.credentials import Credentials, remove_credentials, store_credentials
from scow.registry.transport import DEFAULT_USER_AGENT

DEFAULT_DOMAIN = "docker.io"


def login(domain: str, username: str, password: str, *, insecure: bool = False,
          ca_file: str | None = None, config_path: str | None = None,
          user_agent: str = DEFAULT_USER_AGENT) -> None:
    """Verify `username`/`password` on `domain`, then store them (docker's "Login Succeeded").
    Raises RegistryUnauthorized when the registry refuses them; nothing is stored then."""
    creds = Credentials(username, password)
    with RegistryClient(domain, insecure=insecure, credentials=creds, ca_file=ca_file,
                        user_agent=user_agent) as client:
        client.check_login()
    store_credentials(domain, creds, config_path)


def logout(domain: str, *, config_path: str | None = None) -> bool:
    """Remove the stored credentials of `domain`; False when none were stored."""
    return remove_credentials(domain, config_path)
