"""The container service's rare verbs (update, the Engine API's exec instances) and the
lifecycle (start, stop), listing and inspect mixins, which `create` does not use, live in
mixins whose modules load on first use (service.py's `_DEFERRED`, issue 18): every attribute
of those mixins is still the service's, bound to it, and a name none of them has is an
AttributeError."""

from __future__ import annotations

from typing import Any

import pytest

from scow.engine.containers.base import ContainerBase
from scow.engine.containers.cp import ContainerCopy
from scow.engine.containers.execs import ContainerExecs
from scow.engine.containers.fs import ContainerFilesystem
from scow.engine.containers.inspect import ContainerInspection
from scow.engine.containers.listing import ContainerListing
from scow.engine.containers.objects import ContainerObjects
from scow.engine.containers.run import ContainerLifecycle
from scow.engine.containers.service import _DEFERRED, _DEFERRED_HINTS, ContainerService
from scow.engine.containers.stats import ContainerStatistics
from scow.engine.containers.update import ContainerUpdate


def test_deferred_mixins_are_the_listed_ones() -> None:
    assert [c for _, c in _DEFERRED] == ["ContainerLifecycle", "ContainerListing",
                                         "ContainerInspection",
                                         "ContainerExecs", "ContainerCopy",
                                         "ContainerFilesystem", "ContainerStatistics",
                                         "ContainerUpdate", "ContainerObjects"]


@pytest.mark.parametrize("mixin", [ContainerLifecycle, ContainerListing, ContainerInspection,
                                   ContainerUpdate,
                                   ContainerExecs, ContainerCopy, ContainerFilesystem,
                                   ContainerStatistics, ContainerObjects])
def test_every_attribute_of_a_deferred_mixin_reaches_the_service(mixin: type) -> None:
    service = object.__new__(ContainerService)
    for name, attr in vars(mixin).items():
        if name.startswith("__") or isinstance(attr, property) or name in vars(ContainerService):
            continue  # the service's own (its _exit_work does more than run.py's)
        got: Any = getattr(service, name)
        if callable(attr) and not hasattr(attr, "acquire"):
            assert got.__self__ is service and got.__func__ is attr, name
        else:
            assert got is attr, name  # a class attribute (the exec records' lock)
    assert service._exec_records == {}  # a property, bound to the service
    assert service._exec_records is service._exec_records


def test_an_unknown_name_is_an_attribute_error() -> None:
    service = object.__new__(ContainerService)
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        getattr(service, "nothing_here")  # noqa: B009
    assert not hasattr(service, "__nothing__")


def test_a_hinted_name_is_the_one_the_ordered_search_finds() -> None:
    """A hint (`scow exec` skips importing the listing and inspect mixins) names the mixin
    that defines the name, and no mixin searched before it defines it too."""
    mixins = {ContainerLifecycle: "run", ContainerListing: "listing",
              ContainerInspection: "inspect", ContainerExecs: "execs", ContainerCopy: "cp",
              ContainerFilesystem: "fs",
              ContainerStatistics: "stats", ContainerUpdate: "update", ContainerObjects: "objects"}
    order = [next(m for m in mixins if m.__name__ == c) for _, c in _DEFERRED]
    for name, module in _DEFERRED_HINTS.items():
        first = next(m for m in order if any(
            name in vars(k) for k in m.__mro__[:m.__mro__.index(ContainerBase)]))
        assert module == f"scow.engine.containers.{mixins[first]}", name
