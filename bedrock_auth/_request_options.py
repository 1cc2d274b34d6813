"""The request options of the helpers and ``get_llm``: ``service_tier=``, ``project=``,
``request_metadata=``.

Each is one member of bedrock-runtime's requests, written as each API takes it: in Converse
``serviceTier`` is ``{"type": tier}`` and ``requestMetadata`` a map; in InvokeModel both are
headers (``X-Amzn-Bedrock-Service-Tier``, and ``X-Amzn-Bedrock-Request-Metadata`` holding the
pairs as JSON text), as is ``projectIdentifier``. Values are checked against the installed
botocore's shapes before anything is sent (botocore itself checks types and minimums, not
enums, maximums or patterns); a botocore too old to have a member is a
:class:`~bedrock_auth.ConfigurationError` naming the release that added it.

>>> request_members("Converse", service_tier="flex")
{'serviceTier': {'type': 'flex'}}
>>> request_members("InvokeModel", request_metadata={"team": "search"})
{'requestMetadata': '{"team":"search"}'}
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from bedrock_auth._shapes import service_model
from bedrock_auth.errors import ConfigurationError

__all__ = ["OPTION_NAMES", "check_options", "request_members"]


class _Option(NamedTuple):
    """One request option: its keyword, its member, and how Converse and InvokeModel write it."""

    name: str
    member: str
    converse: Callable[[Any], Any]
    invoke: Callable[[Any], Any]


def _metadata_json(pairs: Mapping[str, str]) -> str:
    return json.dumps(dict(pairs), separators=(",", ":"))


_OPTIONS = (
    _Option("service_tier", "serviceTier", lambda tier: {"type": tier}, str),
    _Option("project", "projectIdentifier", str, str),
    _Option("request_metadata", "requestMetadata", dict, _metadata_json),
)
#: The keywords, in the order the helpers take them.
OPTION_NAMES = tuple(option.name for option in _OPTIONS)

#: The first botocore whose bedrock-runtime model has each member (from botocore's history:
#: requestMetadata reached InvokeModel's headers later than Converse), for the message when the
#: installed one lacks it.
_SINCE = {
    ("Converse", "serviceTier"): "1.40.76",
    ("InvokeModel", "serviceTier"): "1.40.76",
    ("Converse", "requestMetadata"): "1.35.74",
    ("InvokeModel", "requestMetadata"): "1.43.12",
    ("Converse", "projectIdentifier"): "1.44.8",
    ("InvokeModel", "projectIdentifier"): "1.44.8",
}
# The streaming twins share their input shape with these two.
_API = {
    "Converse": "Converse",
    "ConverseStream": "Converse",
    "InvokeModel": "InvokeModel",
    "InvokeModelWithResponseStream": "InvokeModel",
}


def request_members(
    operation: str,
    *,
    service_tier: str | None = None,
    project: str | None = None,
    request_metadata: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The request members for the bedrock-runtime ``operation`` that the options set, checked
    against the installed botocore (nothing is loaded when none is set)."""
    if service_tier is None and project is None and request_metadata is None:
        return {}  # every call without them: nothing built, nothing loaded
    given = {"service_tier": service_tier, "project": project, "request_metadata": request_metadata}
    api = _API[operation]
    members: dict[str, Any] = {}
    for option in _OPTIONS:
        value = given[option.name]
        if value is None:
            continue
        # The Converse form is checked always: its shapes hold the limits of the pairs, which
        # InvokeModel sends as one JSON string.
        written = option.converse(_typed(option, value))
        _check(option, value, "Converse", written)
        if api != "Converse":
            written = option.invoke(value)
            _check(option, value, api, written)
        members[option.member] = written
    return members


def check_options(operations: tuple[str, ...], **options: Any) -> None:
    """Check the options for each of ``operations`` (what a model may send), before it is built."""
    for operation in operations:
        request_members(operation, **options)


def _typed(option: _Option, value: Any) -> Any:
    """``value`` when its Python type fits the option, else a :class:`ConfigurationError`."""
    if option.name == "request_metadata":
        if not isinstance(value, Mapping):
            raise ConfigurationError(
                f"request_metadata= takes a mapping of strings to strings, e.g. "
                f"{{'team': 'search'}}; got {_a(value)}."
            )
        return value
    if not isinstance(value, str):
        raise ConfigurationError(f"{option.name}= takes a string; got {_a(value)}.")
    return value


def _a(value: Any) -> str:
    noun = type(value).__name__
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def _check(option: _Option, value: Any, api: str, written: Any) -> None:
    import botocore

    members = service_model("bedrock-runtime").operation_model(api).input_shape.members
    shape = members.get(option.member)
    if shape is None:
        since = _SINCE[api, option.member]
        raise ConfigurationError(
            f"{option.name}= needs botocore {since} or later: the installed botocore "
            f"{botocore.__version__} has no {option.member} in bedrock-runtime {api}.\n"
            f"Fix: pip install -U boto3 'botocore>={since}'"
        )
    problem = _problem(written, shape)
    if problem:
        shown = "" if shape.metadata.get("sensitive") else f"={value!r}"
        raise ConfigurationError(
            f"{option.name}{shown} is not accepted by bedrock-runtime {api} (as botocore "
            f"{botocore.__version__} describes it): {problem}."
        )


def _problem(value: Any, shape: Any) -> str | None:
    """What in ``value`` the shape refuses (``None``: nothing); never a sensitive value."""
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            found = _problem(value[name], member) if name in value else None
            if found:
                return found
        return None
    if shape.type_name == "map":
        return _map_problem(value, shape)
    found = _string_problem(value, shape)
    return f"the value {found}" if found else None


def _map_problem(pairs: Mapping[Any, Any], shape: Any) -> str | None:
    low, high = shape.metadata.get("min", 0), shape.metadata.get("max", len(pairs))
    if not low <= len(pairs) <= high:
        return f"{len(pairs)} pairs; accepted: {low} to {high}"
    for index, (key, value) in enumerate(pairs.items(), 1):
        for what, item, item_shape in (("key", key, shape.key), ("value", value, shape.value)):
            found = _string_problem(item, item_shape)
            if found:
                return f"the {what} of pair {index} {found}"
    return None


def _string_problem(value: Any, shape: Any) -> str | None:
    if not isinstance(value, str):
        return f"is {_a(value)}, not a string"
    meta = shape.metadata
    if shape.enum and value not in shape.enum:
        return f"is not one of {', '.join(shape.enum)}"
    low, high = meta.get("min", 0), meta.get("max", len(value))
    if not low <= len(value) <= high:
        return f"has {len(value)} characters; accepted: {low} to {high}"
    pattern = meta.get("pattern")
    if pattern and not re.fullmatch(pattern, value):
        return f"does not match {pattern}"
    return None
