"""Checking role options locally against botocore's own STS request shapes.

botocore's ``validate_parameters`` checks names, types and minimums but not maximums, so the
maximums are read from the same shapes here. Everything comes from the STS service model that
botocore ships: nothing about STS limits is written by hand.

>>> low, high = duration_range("AssumeRole")      # (900, 43200) in botocore 1.44
>>> 0 < low < high
True
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from bedrock_auth._redact import redact
from bedrock_auth.errors import ConfigurationError

#: Parameters that have their own option; ``assume_role_kwargs`` must not set them.
OWN_OPTIONS = {
    "RoleArn": "role_arn",
    "RoleSessionName": "role_session_name",
    "DurationSeconds": "duration_seconds",
    "ExternalId": "external_id",
    "SerialNumber": "mfa_serial",
    "TokenCode": "mfa_token_provider",
    "WebIdentityToken": "web_identity_token_file",
}

# Placeholders for the required members the library fills in itself, so the user's extra
# parameters can be validated on their own.
_PLACEHOLDERS = {
    "RoleArn": "arn:aws:iam::123456789012:role/placeholder",
    "RoleSessionName": "bedrock-auth",
    "WebIdentityToken": "placeholder-token",
}


@functools.cache
def service_model(service: str) -> Any:
    """The installed botocore's model of ``service``, loaded on first use only: most managers
    never assume a role, most calls set no request option. Read through the shared loader, so
    a manager's STS client later parses it no more."""
    import botocore.model

    from bedrock_auth._loader import shared_loader

    model = shared_loader(None).load_service_model(service, "service-2")
    return botocore.model.ServiceModel(model, service)


def _input_shape(operation: str) -> Any:
    return service_model("sts").operation_model(operation).input_shape


def duration_range(operation: str) -> tuple[int, int]:
    """The ``DurationSeconds`` range STS accepts for ``operation``."""
    meta = _input_shape(operation).members["DurationSeconds"].metadata
    return int(meta["min"]), int(meta["max"])


def check_role_kwargs(extra: Mapping[str, Any], operation: str) -> None:
    """Raise :class:`ConfigurationError` unless ``extra`` is valid for the STS ``operation``.

    >>> check_role_kwargs({"DurationSecs": 900}, "AssumeRole")
    Traceback (most recent call last):
    ...
    bedrock_auth.errors.ConfigurationError: assume_role_kwargs has an unknown parameter \
'DurationSecs'. Did you mean 'DurationSeconds' (pass duration_seconds=)? ...
    """
    from botocore.exceptions import ParamValidationError
    from botocore.validate import validate_parameters

    for key, option in OWN_OPTIONS.items():
        if key in extra:
            raise ConfigurationError(
                f"assume_role_kwargs must not set {key}: pass {option}= instead."
            )
    shape = _input_shape(operation)
    _check_names(extra, shape, operation)
    params = {name: value for name, value in _PLACEHOLDERS.items() if name in shape.members}
    params.update(extra)
    try:
        validate_parameters(params, shape)
    except ParamValidationError as exc:
        report = " ".join(str(exc).split())
        raise ConfigurationError(
            f"assume_role_kwargs: {redact(report.removeprefix('Parameter validation failed: '))}"
            f" (checked against STS {operation})."
        ) from None
    problems = _over_maximum(extra, shape, "")
    if problems:
        raise ConfigurationError(
            f"assume_role_kwargs: {problems[0]} (checked against STS {operation})."
        )


def check_role_options(values: Mapping[str, Any], operation: str) -> None:
    """Check the role options (by their STS parameter) against the shape: length, range and
    pattern, naming the option, before any call.

    >>> check_role_options({"RoleSessionName": "a b"}, "AssumeRole")
    Traceback (most recent call last):
    ...
    bedrock_auth.errors.ConfigurationError: role_session_name='a b' is not accepted by STS ...
    """
    import re

    members = _input_shape(operation).members
    for parameter, value in values.items():
        if value is None or parameter not in members:
            continue
        meta = members[parameter].metadata
        size = len(value) if isinstance(value, str) else value
        pattern = meta.get("pattern")
        if (
            size < meta.get("min", size)
            or size > meta.get("max", size)
            or (isinstance(value, str) and pattern and not re.fullmatch(pattern, value))
        ):
            option = OWN_OPTIONS[parameter]
            shown = "<hidden>" if option == "external_id" else repr(value)
            limits = f"{meta.get('min', '?')} to {meta.get('max', '?')}"
            what = "characters" if isinstance(value, str) else "seconds"
            raise ConfigurationError(
                f"{option}={shown} is not accepted by STS {operation}: {limits} {what}"
                + (f" matching {pattern}" if isinstance(value, str) and pattern else "")
                + "."
            )


def _check_names(extra: Mapping[str, Any], shape: Any, operation: str) -> None:
    """An unknown name gets a close match, and the option to use if it has one."""
    import difflib

    for name in extra:
        if name in shape.members:
            continue
        close = difflib.get_close_matches(str(name), list(shape.members), n=1)
        hint = ""
        if close:
            own = OWN_OPTIONS.get(close[0])
            hint = f" Did you mean {close[0]!r}" + (f" (pass {own}=)?" if own else "?")
        raise ConfigurationError(
            f"assume_role_kwargs has an unknown parameter {name!r}.{hint} STS {operation} "
            f"accepts: {', '.join(n for n in shape.members if n not in OWN_OPTIONS)}."
        )


def _over_maximum(value: Any, shape: Any, path: str) -> list[str]:
    """Every place where ``value`` exceeds a ``max`` of ``shape`` (botocore checks only mins)."""
    problems = []
    limit = shape.metadata.get("max")
    size = value if shape.type_name in ("integer", "long") else None
    if shape.type_name in ("string", "list", "map") and hasattr(value, "__len__"):
        size = len(value)
    if limit is not None and isinstance(size, int) and size > limit:
        what = "value" if shape.type_name in ("integer", "long") else "length"
        problems.append(f"{path or 'value'} {what} {size} is over the maximum of {limit}")
    if shape.type_name == "structure" and isinstance(value, Mapping):
        for name, member in shape.members.items():
            if name in value:
                problems += _over_maximum(value[name], member, f"{path}.{name}".lstrip("."))
    elif shape.type_name == "list" and isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            problems += _over_maximum(item, shape.member, f"{path}[{index}]")
    return problems
