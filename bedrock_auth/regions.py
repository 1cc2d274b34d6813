"""Temporary: replaced by the regions module being written on the `regions` branch."""

from __future__ import annotations

import re

from bedrock_auth.errors import ConfigurationError

_REGION_RE = re.compile(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}")


def check_region(region: object, name: str = "region") -> str:
    if not isinstance(region, str) or not _REGION_RE.fullmatch(region):
        raise ConfigurationError(
            f"{name}={region!r} is not an AWS region name. Accepted: names like 'us-east-1', "
            "'eu-west-3', 'ap-northeast-1', 'us-gov-west-1'."
        )
    return region
