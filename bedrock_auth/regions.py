"""Region facts in one place: which Region names exist, and which profile geographies serve them.

**Region names.** :func:`check_region` accepts a Region name exactly as AWS spells it. The names
come from botocore's own partition data (every partition it ships: ``aws``, ``aws-cn``,
``aws-us-gov``, the isolated ``aws-iso*`` ones, ``aws-eusc``, ...), so a well-formed typo such as
``us-eats-1`` is refused here, with a suggestion, instead of ending in an endpoint error that
blames the network. A new number on a known name (``us-east-3``) is let through with one
warning: AWS may have opened the Region after the installed botocore was released.

>>> check_region("eu-west-1")
'eu-west-1'
>>> check_region("us-eats-1", "AWS_REGION")
Traceback (most recent call last):
...
bedrock_auth.errors.ConfigurationError: AWS_REGION='us-eats-1' is not an AWS region name \
botocore knows; did you mean 'us-east-1'?...

**Inference-profile geographies.** A system-defined (cross-Region) inference profile is a model
id with a geography prefix in front: ``us.``, ``us-gov.``, ``eu.``, ``apac.``, ``jp.``, ``au.``,
or ``global.``. :data:`GEOGRAPHY_PREFIXES` is the one list of them, and
:func:`geographies_for_region` says which ones a caller in a Region tries, in order.

>>> geographies_for_region("ap-northeast-1")
('jp', 'apac', 'global')
>>> split_profile_prefix("eu.anthropic.claude-sonnet-4-5-20250929-v1:0")
('eu', 'anthropic.claude-sonnet-4-5-20250929-v1:0')

Importing this module is cheap: it needs only the standard library, :mod:`bedrock_auth.errors`
and the process-state registry. botocore's data is read on the first :func:`check_region` call
(well under a millisecond once botocore itself is imported) and kept for the process.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

from bedrock_auth._state import OnceSet
from bedrock_auth.errors import ConfigurationError

__all__ = [
    "GEOGRAPHY_PREFIXES",
    "Region",
    "check_region",
    "geographies_for_region",
    "known_regions",
    "split_profile_prefix",
]

_log = logging.getLogger("bedrock_auth")

#: The prefixes AWS puts in front of a model id to name a system-defined inference profile.
#: Canada has no prefix of its own: its Regions are source Regions of ``us.`` profiles.
GEOGRAPHY_PREFIXES: tuple[str, ...] = ("us", "us-gov", "eu", "apac", "jp", "au", "global")

# Region name -> the geographies to try, most specific first; ``global`` is tried last for
# every Region. A rule only orders candidates: a caller uses a geography only when the model's
# profile lists the Region as a source, so a rule can never send a model where AWS does not
# offer it. The first matching rule wins.
_REGION_RULES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    # The isolated partitions (us-iso-*, us-isob-*, us-isof-*, eu-isoe-*) have no geography
    # profiles; without this rule they would match "us-" and "eu-" below.
    (re.compile(r"(us|eu)-iso[a-z]?-"), ()),
    (re.compile(r"us-gov-"), ("us-gov",)),
    (re.compile(r"(us|ca)-"), ("us",)),
    # Tel Aviv is a source Region of some EU profiles (Sonnet 4, Nova Pro).
    (re.compile(r"(eu|il)-"), ("eu",)),
    (re.compile(r"ap-northeast-[13]$"), ("jp", "apac")),
    (re.compile(r"ap-southeast-[246]$"), ("au", "apac")),
    (re.compile(r"ap-"), ("apac",)),
    # sa-, me-, af-, mx-, cn-, eusc-: AWS documents no geography profile for these.
)

# Every Region name in botocore's partitions has this shape: lower-case words joined by dashes,
# then a number ("us-east-1", "us-gov-west-1", "eusc-de-east-1").
_REGION_SHAPE = re.compile(r"[a-z]{2,4}(?:-[a-z]+)+-\d{1,2}")
# difflib's own default cutoff for get_close_matches.
_CLOSE_ENOUGH = 0.6
_EXAMPLES = "'us-east-1', 'eu-west-3', 'ap-northeast-1', 'us-gov-west-1'"

# New Region numbers already warned about: once per process (``bedrock_auth.reset()`` forgets).
_warned = OnceSet(__name__)


def geographies_for_region(region: str) -> tuple[str, ...]:
    """The profile geographies a caller in ``region`` tries, most specific first.

    Always ends with ``global``. This reads the name only; it does not check that the Region
    exists (call :func:`check_region` for that).

    >>> geographies_for_region("ca-central-1"), geographies_for_region("sa-east-1")
    (('us', 'global'), ('global',))
    """
    for pattern, geographies in _REGION_RULES:
        if pattern.match(region):
            return (*geographies, "global")
    return ("global",)


def split_profile_prefix(model_id: str) -> tuple[str | None, str]:
    """Split a profile id into (geography prefix, model id); (None, model_id) for any other id.

    The prefix is matched case-insensitively and returned lower-case.

    >>> split_profile_prefix("us-gov.anthropic.claude-3-haiku-20240307-v1:0")
    ('us-gov', 'anthropic.claude-3-haiku-20240307-v1:0')
    >>> split_profile_prefix("anthropic.claude-3-haiku-20240307-v1:0")
    (None, 'anthropic.claude-3-haiku-20240307-v1:0')
    """
    head, dot, rest = model_id.partition(".")
    if dot and rest and head.lower() in GEOGRAPHY_PREFIXES:
        return head.lower(), rest
    return None, model_id


@functools.cache
def known_regions() -> frozenset[str]:
    """Every Region name in the installed botocore's partition data, all partitions included.

    Read once, on first use. ``partitions.json`` (a few KB) is used rather than
    ``endpoints.json`` (over 1 MB): it is cheaper to load and lists Regions at least as early.
    The loader is botocore's own, so ``AWS_DATA_PATH`` (and a profile's ``data_path``)
    overrides apply here too, read by botocore as for any client.
    """
    data = _botocore_loader().load_data("partitions")
    return frozenset(
        name
        for partition in data["partitions"]
        for name in partition.get("regions", {})
        # Drop pseudo-Regions such as "aws-global": no client is ever created in them.
        if _REGION_SHAPE.fullmatch(name)
    )


def _botocore_loader() -> Any:
    """The data loader a manager's session uses (its search path: ``AWS_DATA_PATH``, then the
    profile's ``data_path``), shared with it. Without the event handlers a client needs, a
    session costs about a millisecond. A profile that cannot be read (a stale ``AWS_PROFILE``)
    leaves botocore's built-in data, as for a session that never reads the profile."""
    import botocore.session
    from botocore.exceptions import BotoCoreError

    from bedrock_auth._loader import shared_loader

    try:
        session = botocore.session.Session(include_builtin_handlers=False)
        return shared_loader(session.get_config_variable("data_path"))
    except BotoCoreError:
        return shared_loader(None)


@functools.cache
def _known_stems() -> frozenset[str]:
    return frozenset(_stem(name) for name in known_regions())


def _stem(region: str) -> str:
    # The name part, without the number: "us-east" for "us-east-1".
    return region.rpartition("-")[0]


def _botocore_version() -> str:
    import botocore

    return str(botocore.__version__)


def _suggestion(text: str) -> str | None:
    """The Region the user most likely meant, or None when nothing is close."""
    cleaned = text.strip().lower()
    if _REGION_SHAPE.fullmatch(cleaned) and _stem(cleaned) in _known_stems():
        return cleaned
    # max() keeps the first of equally close names, so "us-east" gets us-east-1, not -2.
    best = max(sorted(known_regions()), key=lambda name: _similarity(cleaned, name))
    return best if _similarity(cleaned, best) >= _CLOSE_ENOUGH else None


def _similarity(a: str, b: str) -> float:
    import difflib  # only for a region name that is wrong: not worth its import otherwise

    return difflib.SequenceMatcher(None, a, b).ratio()


def _malformed(region: str, name: str) -> str:
    # Say *why* a near miss fails: " us-east-1" and "US-EAST-1" look right at a glance.
    flaws = [
        flaw
        for flaw, present in (
            ("stray whitespace", region != region.strip()),
            ("upper-case letters", region != region.lower()),
        )
        if present
    ]
    why = f" (it has {' and '.join(flaws)})" if flaws else ""
    suggestion = _suggestion(region)
    hint = (
        f"; did you mean {suggestion!r}?" if suggestion else f". Accepted: names like {_EXAMPLES}."
    )
    return f"{name}={region!r} is not an AWS region name{why}{hint}"


def _unknown(region: str, name: str) -> str:
    suggestion = _suggestion(region)
    hint = (
        f"; did you mean {suggestion!r}?"
        if suggestion
        else f". Known regions: {', '.join(sorted(known_regions()))}."
    )
    return (
        f"{name}={region!r} is not an AWS region name botocore knows{hint} If it is a Region "
        f"AWS opened after botocore {_botocore_version()} was released, upgrade botocore: "
        "pip install -U botocore."
    )


def _warn_new_number(region: str) -> None:
    if not _warned.first(region):
        return
    _log.warning(
        "%s is not in botocore %s's region list, though other %s-* Regions are; using it as "
        "given. If calls to it fail, check the name or upgrade botocore.",
        region,
        _botocore_version(),
        _stem(region),
    )


class Region(str):
    """A Region name :func:`check_region` accepted: proof that it needs no second check.

    Only :func:`check_region` makes one. A call checks the names it was given once, at its
    front door, and carries the ``Region`` down; every later :func:`check_region` on it (in
    model resolution, the live catalog, the client cache) returns it as it is. It is a ``str``
    in every other way, equal to and hashed as the plain name.
    """

    __slots__ = ()


def check_region(region: object, name: str = "region") -> Region:
    """Return ``region`` as a :class:`Region` if it is an AWS Region name, else raise
    :class:`ConfigurationError`.

    ``name`` is the option the value came from (``region``, ``AWS_REGION``,
    ``region in profile 'dev'``, ...); the message names it. The whole string must be the
    name: stray whitespace, a newline or upper-case letters are refused, with the cleaned
    name suggested. A well-formed name whose name part botocore does not know (``us-eats-1``)
    is refused with the closest known Region. A known name part with a new number
    (``us-east-3``) is accepted with one warning per Region per process on the
    ``bedrock_auth`` logger.

    >>> check_region("US-EAST-1")
    Traceback (most recent call last):
    ...
    bedrock_auth.errors.ConfigurationError: region='US-EAST-1' is not an AWS region name \
(it has upper-case letters); did you mean 'us-east-1'?...
    """
    if type(region) is Region:  # checked already, earlier in this call
        return region
    if not isinstance(region, str):
        raise ConfigurationError(
            f"{name} must be a str such as 'us-east-1', not {type(region).__name__}."
        )
    if not _REGION_SHAPE.fullmatch(region):
        raise ConfigurationError(_malformed(region, name))
    if region not in known_regions():
        if _stem(region) not in _known_stems():
            raise ConfigurationError(_unknown(region, name))
        _warn_new_number(region)
    return Region(region)
