"""What one client may ask of the emulator: the bounds on request size, idle time, connections,
seed files and JSON nesting, with their defaults and the sources those defaults come from.

The defaults sit at or above what real Bedrock accepts, so no request that works against AWS
is refused here; they exist so that one misbehaving client (a huge body, a slowloris, a YAML
alias bomb) cannot exhaust a long-running standalone emulator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

# Bedrock's largest published request: InvokeModel's `body` is at most 25,000,000 bytes
# (botocore's bedrock-runtime model, InvokeModelRequest.body "max"; the API reference says the
# same), and the Bedrock user guide ("API restrictions") gives the Anthropic Messages endpoint
# a 32 MB maximum request size. Converse publishes no total (up to 5 documents of 4.5 MB, images
# bounded per model), so twice the largest figure leaves room for base64 and JSON framing.
DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024

# The request line plus every header line. A SigV4 request with a session token and Bedrock's
# own headers (X-Amzn-Bedrock-Request-Metadata is at most 8,500 bytes in botocore's model) stays
# under 16 KiB; 64 KiB matches the largest header limit of AWS's HTTP front ends (ALB) and the
# standard library's own per-line limit.
DEFAULT_MAX_HEADER_BYTES = 64 * 1024

# Seconds a connection may send nothing (between requests, or in the middle of one), and the
# most a request's line and headers may take to arrive once their first byte has: ALB's default
# idle timeout. Clients reuse a kept-alive connection well within it, and urllib3 reconnects
# transparently when the emulator has closed one.
DEFAULT_IDLE_TIMEOUT = 60.0

# Open connections (one handler thread each). When the cap is reached, the longest-idle
# kept-alive connection is closed to make room; only when every connection is mid-request is a
# new one refused (503, which botocore retries). 64-thread test suites use well under this.
DEFAULT_MAX_CONNECTIONS = 512

# A seed file holds scripted replies and faults; a megabyte is thousands of them.
DEFAULT_MAX_SEED_BYTES = 8 * 1024 * 1024

# Lists and objects inside one another, in a JSON request body or a seed file. Bedrock
# publishes no nesting limit; real requests (tool schemas included) nest a few levels, and 128
# keeps the emulator's own recursive walkers far inside Python's recursion limit.
DEFAULT_MAX_NESTING = 128

#: How much of a body that is not JSON the request log keeps (the rest is only counted).
RECORDED_RAW_BODY_BYTES = 4096

# STS's largest requests (a 20,000-character web identity token, a 2,048-character session
# policy, 50 tags) are a few tens of KiB and a hundred fields: a form beyond these is not an
# STS call, and the log keeps only its size.
RECORDED_FORM_BYTES = 64 * 1024
MAX_FORM_FIELDS = 1000


@dataclass(frozen=True)
class Limits:
    """The bounds one emulator enforces; every field is a ``BedrockEmulator`` keyword and a
    ``bedrock-auth emulator`` flag of the same name (``--max-body-bytes``, ...).

    ``max_body_bytes``: a larger body is answered 413 unread. ``max_header_bytes``: the request
    line and headers together (431 beyond). ``idle_timeout``: seconds a connection may send
    nothing, and the most a request's line and headers may take once started.
    ``max_connections``: open connections (the longest-idle one is closed to make room; if
    none is idle, 503). ``max_seed_bytes`` and ``max_nesting``: the size of a seed file, and how
    deep lists and objects may nest in a seed file or a JSON request body (400 beyond).
    """

    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    max_seed_bytes: int = DEFAULT_MAX_SEED_BYTES
    max_nesting: int = DEFAULT_MAX_NESTING

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            # bool is an int, but True as a byte count is a mistake, not a limit.
            kinds = (int, float) if field.type == "float" else (int,)
            if isinstance(value, bool) or not isinstance(value, kinds) or not _positive(value):
                what = "number" if field.type == "float" else "whole number"
                raise ValueError(f"{field.name} must be a positive {what}, not {value!r}")


def _positive(value: float) -> bool:
    return math.isfinite(value) and value > 0  # NaN and infinity are not timeouts


def nesting_exceeds(value: Any, limit: int) -> bool:
    """Are lists/dicts in ``value`` nested more than ``limit`` deep? (``[]`` is 1 deep.)

    Iterative, so a value built deeper than Python's recursion limit is measured, not crashed on.
    """
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False
