"""owns: the distribution service: moving images in and out of the store — `pull` and `push`
through a registry (pull.py, push.py), `save` and `load` of docker-archives and OCI layouts
(save.py, load.py), `login`/`logout`, and `ensure_image`
(pull when missing) for run, create and build.

Registries on loopback speak plain HTTP automatically; others only when listed in
``insecure-registries`` (scow.toml). Credentials come from docker's config.json.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, BinaryIO, Literal

from scow.engine.distribution.ports import NullProgress, Progress
from scow.ids import Digest, ImageID
from scow.store.distribution import DistributionMetadata
from scow.store.manifests import ManifestStore
from scow.store.store import Store

if TYPE_CHECKING:
    from scow.engine.images import ImageService
    from scow.engine.settings import Settings
    from scow.registry.client import RegistryClient

SaveFormat = Literal["docker", "oci-archive", "oci-dir"]


class DistributionService:
    def __init__(self, store: Store, settings: Settings, images: ImageService) -> None:
        self.store = store
        self.settings = settings
        self.images = images

    @cached_property
    def metadata(self) -> DistributionMetadata:
        """What the store remembers of registries: which blob came from which repository."""
        return DistributionMetadata(self.store.db)

    @cached_property
    def manifests(self) -> ManifestStore:
        """What the store remembers of manifests pulled and pushed, by repository and digest."""
        return ManifestStore(self.store.db)

    def insecure(self, domain: str) -> bool:
        """Whether `domain` is an insecure registry (plain HTTP allowed) in the settings."""
        return domain in self.settings.insecure_registries

    def client(self, domain: str) -> RegistryClient:
        """A registry client for `domain` with the stored credentials."""
        from scow.registry.client import RegistryClient
        from scow.registry.credentials import get_credentials

        return RegistryClient(domain, insecure=self.insecure(domain),
                              credentials=get_credentials(domain))

    # -- registries ---------------------------------------------------------------------------
    def pull(self, name: str, *, platform: str | None = None, all_tags: bool = False,
             progress: Progress | None = None) -> ImageID:
        """docker pull: the image named `name` (tag or digest) into the store; returns its ID
        (with `all_tags`, every tag of the repository; returns the last one's ID)."""
        from scow.engine.distribution.pull import Puller

        image_id = Puller(self, progress or NullProgress()).pull(name, platform=platform,
                                                                  all_tags=all_tags)
        self._event(name, image_id, "pull")
        return image_id

    def push(self, name: str, *, all_tags: bool = False, progress: Progress | None = None,
             compression: Literal["gzip", "zstd"] = "gzip") -> list[Digest]:
        """docker push: the image(s) named `name` to their registry; returns manifest digests."""
        from scow.engine.distribution.push import Pusher

        digests = Pusher(self, progress or NullProgress(), compression).push(name,
                                                                             all_tags=all_tags)
        record = self.images.find(name)
        self._event(name, record.id if record else "", "push")
        return digests

    def _event(self, name: str, image_id: str, action: str) -> None:
        """docker's pull/push image event: actor ID and name are the familiar reference."""
        from scow.engine.events import image_event
        from scow.oci.reference import parse_reference

        shown = parse_reference(name, default_tag=True).familiar()
        labels: dict[str, str] = {}
        if image_id and self.store.images.find(image_id) is not None:
            labels = dict(self.store.images.config(image_id).config.get("Labels") or {})
        image_event(self.store, shown, action, shown, labels)

    def ensure_image(self, name: str, *, platform: str | None = None,
                     progress: Progress | None = None) -> ImageID:
        """The image a user names, pulled first when the store does not have it."""
        record = self.images.find(name)
        if record is not None:
            return record.id
        return self.pull(name, platform=platform, progress=progress)

    def login(self, server: str | None, username: str, password: str) -> str:
        """Check and store credentials; returns the server key they were stored under."""
        from scow.registry.credentials import server_key
        from scow.registry.login import login

        domain = server or "docker.io"
        login(_domain_of(domain), username, password, insecure=self.insecure(domain))
        return server_key(_domain_of(domain))

    def logout(self, server: str | None) -> tuple[str, bool]:
        """Forget stored credentials: (server key, whether any were stored)."""
        from scow.registry.credentials import server_key
        from scow.registry.login import logout

        domain = _domain_of(server or "docker.io")
        return server_key(domain), logout(domain)

    # -- archives -----------------------------------------------------------------------------
    def save(self, names: list[str], out: BinaryIO | str, *,
             format: SaveFormat = "docker") -> None:
        """docker save: a docker-archive (or an oci-archive, or an OCI layout folder when
        `out` is a path and `format` is "oci-dir") of the named images."""
        from scow.engine.distribution.save import save

        save(self.store, names, out, format=format)
        for name in names:
            record = self.images.find(name)
            if record is not None:
                self.images.event(record.id, "save", record.id)

    def load(self, stream: BinaryIO, *, progress: Progress | None = None) -> list[str]:
        """docker load: images from a docker-archive (any docker version), an oci-archive or
        an OCI layout tar; returns the `Loaded image: ...` / `Loaded image ID: ...` lines."""
        from scow.engine.distribution.load import load

        lines = load(self.store, stream, progress or NullProgress())
        for line in lines:  # docker: a load event per image, named by its ID
            shown = line.split(": ", 1)[-1].strip()
            record = self.images.find(shown)
            if record is not None:
                self.images.event(record.id, "load", record.id)
        return lines


def _domain_of(server: str) -> str:
    """`https://host:5000/v1/` or `host:5000` → `host:5000`."""
    from scow.registry.credentials import hostname_of

    return hostname_of(server)
