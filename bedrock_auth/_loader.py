"""botocore's data loader, without the walk over every service directory on client creation.

botocore's ``Loader.load_service_model`` first calls ``list_available_services(type_name)``,
which lists every service directory on the search path (over 400 in botocore's own data, each
listed and stat-ed) once per model type, ``service-2`` and ``endpoint-rule-set-1``: about
15 ms each on a cold start, only to name the known services in an ``UnknownServiceError``.
botocore has an open pull request removing it from client creation (boto/botocore#3687,
"Remove list_available_services from client creation happy path"). Until it ships, the
sessions this library builds (never botocore's, never boto3's) use :class:`DirectLoader`: a
service that exists is found by listing its own directory only (``list_api_versions``, which
``determine_latest_version`` lists anyway); any other name goes through botocore's own
``load_service_model``, walk and ``UnknownServiceError`` message included. The search paths
are those botocore's ``create_loader`` computes (``AWS_DATA_PATH`` or a profile's
``data_path``, then ``~/.aws/models``, then botocore's data).

The files are decoded into plain dicts, where botocore asks ``json`` for ``OrderedDict``s (a
hook kept from Python 2: dicts keep their order, and botocore's model classes build their own
``OrderedDict``s from the data). ``json`` decodes dicts in C, ``OrderedDict``s through the
hook: the 1.2 MB ``endpoints.json`` every first client reads takes half the time.

Loaders only cache parsed, read-only data files, so sessions with the same search paths share
one (:func:`shared_loader`; boto/botocore#3078 asks for this upstream): a second manager's
clients skip the JSON parsing too. A loader holds no socket and no thread, so a forked child
keeps it; ``bedrock_auth.reset()`` drops it, for data files changed since.

>>> loader = shared_loader(None)
>>> loader.load_service_model("sts", "service-2")["metadata"]["serviceId"]
'STS'
>>> loader is shared_loader(None)
True
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from typing import IO, Any

from botocore.exceptions import DataNotFoundError
from botocore.loaders import JSONFileLoader, Loader, create_loader

from bedrock_auth._state import ForkSafeLock, SingleFlightCache, register

__all__ = ["DirectLoader", "PlainJSONFileLoader", "shared_loader", "use_shared_loader"]


class PlainJSONFileLoader(JSONFileLoader):  # type: ignore[misc]
    """botocore's ``JSONFileLoader`` (``.json`` and ``.json.gz``), decoding plain dicts."""

    def _load_file(self, full_path: str, open_method: Callable[..., IO[bytes]]) -> Any:
        # botocore's own _load_file (1.39.7 to 1.44.x), without object_pairs_hook=OrderedDict.
        if not os.path.isfile(full_path):
            return None
        with open_method(full_path, "rb") as file:
            return json.loads(file.read().decode("utf-8"))


class DirectLoader(Loader):  # type: ignore[misc]
    """botocore's ``Loader``, finding a service that exists without listing all the others."""

    FILE_LOADER_CLASS = PlainJSONFileLoader

    def __init__(self, search_paths: list[str]) -> None:
        super().__init__(extra_search_paths=search_paths, include_default_search_paths=False)
        # Sessions sharing this loader may create clients from several threads; botocore
        # merges a model's extras into the cached file data in place, so each model is loaded
        # once however many threads ask (no lock is held while files are read).
        self._models: SingleFlightCache[tuple[str, str, str | None], Any] = SingleFlightCache()
        self._listings: dict[str, frozenset[str]] = {}

    def load_service_model(
        self, service_name: str, type_name: str, api_version: str | None = None
    ) -> Any:
        key = (service_name, type_name, api_version)
        return self._models.fetch(key, lambda: (self._load_service_model(*key), math.inf))

    def _load_service_model(
        self, service_name: str, type_name: str, api_version: str | None
    ) -> Any:
        if not self._provides(service_name, type_name):
            # botocore's own path: its walk, and its UnknownServiceError naming known services.
            return super().load_service_model(service_name, type_name, api_version)
        # What botocore's load_service_model does once the service is known.
        if api_version is None:
            api_version = self.determine_latest_version(service_name, type_name)
        model = self.load_data(os.path.join(service_name, api_version, type_name))
        extras = self._find_extras(service_name, type_name, api_version)
        self._extras_processor.process(model, extras)
        return model

    def _provides(self, service_name: str, type_name: str) -> bool:
        """Whether botocore's walk would list ``service_name`` for ``type_name``: a directory of
        exactly that name in a search path, with an API version holding such a file."""
        # The exact name, as listed: a case-insensitive file system would find "STS" as "sts".
        if not _is_plain_name(service_name) or not any(
            service_name in self._entries(path) for path in self.search_paths
        ):
            return False
        try:
            self.list_api_versions(service_name, type_name)
        except DataNotFoundError:
            return False
        return True

    def _entries(self, path: str) -> frozenset[str]:
        """The names in a search path (one listing per path, never per service)."""
        if path not in self._listings:
            found = os.listdir(path) if os.path.isdir(path) else ()
            self._listings[path] = frozenset(found)
        return self._listings[path]


def _is_plain_name(name: str) -> bool:
    """One path component: the walk only ever lists a search path's own entries."""
    separators = [os.sep, os.altsep or os.sep]
    return name not in ("", ".", "..") and not any(s in name for s in separators)


# One loader per search-path setting (None: botocore's defaults), for the whole process.
_loaders: dict[str | None, DirectLoader] = {}
_loaders_lock = ForkSafeLock()


def shared_loader(data_path: str | None) -> DirectLoader:
    """The loader for a session whose ``data_path`` config variable is ``data_path``."""
    loader = _loaders.get(data_path)
    if loader is None:
        with _loaders_lock:
            loader = _loaders.get(data_path)
            if loader is None:
                paths = create_loader(data_path).search_paths  # botocore's own parsing
                loader = _loaders[data_path] = DirectLoader(list(paths))
    return loader


def use_shared_loader(session: Any) -> None:
    """Give ``session`` (a botocore session of this library's) the shared loader for its
    search paths, in place of the one botocore would create for it alone."""
    loader = shared_loader(session.get_config_variable("data_path"))
    session.register_component("data_loader", loader)


register(__name__, reset=_loaders.clear)
