"""The model data: every Bedrock model the library knows, in one JSON file read on first use.

``models.json`` (beside this module) is the one home of model facts: ids, aliases, where each
model runs, what it can do and its lifecycle. :mod:`bedrock_auth.models` resolves ids from it
and the emulator (:mod:`bedrock_auth.testing.catalog`) builds ``ListFoundationModels`` and
``ListInferenceProfiles`` from it. Nothing reads the file at import: :func:`table` parses it
on the first lookup (a few milliseconds) and keeps the frozen result for the process.

Format 1 (``"format": 1``)::

    {
      "format": 1,
      "sources":   {"<key>": "<where a fact comes from: a URL or a document name>", ...},
      "providers": {"<id prefix>": "<providerName as ListFoundationModels gives it>", ...},
      "models": [
        {
          "id": "anthropic.claude-sonnet-4-5-20250929-v1:0",  # canonical id; provider = prefix
          "name": "Claude Sonnet 4.5",
          "aliases": ["claude-sonnet-4-5-20250929", "sonnet-4.5"],  # first: the one to suggest
          "regions": ["us-east-1"],           # bedrock-runtime Regions taking the plain id
          "profiles": {"us": ["us-east-1", "us-east-2"], "global": [...]},
                                              # geography -> source Regions of that profile
          "regions_complete": true,           # false: only Regions a source confirmed are
                                              # listed (see ModelInfo.on_demand_in)
          "capabilities": {
            "streaming": true, "tools": true,
            "reasoning": "none" | "optional" | "always",
            "citations": false, "count_tokens": false,   # CountTokens on bedrock-runtime
            "input": ["TEXT", "IMAGE"], "output": ["TEXT"],   # ListFoundationModels modalities
            "embedding_dimensions": [1024, 512],  # embedding models only; the first is the default
            # How the model's answers look on Bedrock (each optional; the default in brackets):
            "invoke_body": "anthropic",       # InvokeModel body format [null: told by the body]
            "reasoning_signed": true,         # reasoning has a signature, can be redacted [false]
            "reasoning_after_text": true,     # the answer's text precedes its reasoning [false]
            "tool_use_type": "never" | "always" | "with_system_tools",
                                              # Converse toolUse has "type": "tool_use" ["never"]
            "forced_choice_after_results": false,  # forced toolChoice holds after results [true]
            "cache_usage_always": true,       # Converse usage always has cache fields [false]
            "leading_assistant": true,        # a conversation may start with the model [false]
            "s3_refused": {"message": ["image"], "tool_result": ["document"]},
                                              # media whose s3Location Bedrock refuses there [{}]
            "system_tools": ["nova_code_interpreter"],  # Converse systemTool names run [[]]
            "embeddings_by_type": true        # vectors keyed by type, size requested [false]
          },
          "lifecycle": {"status": "ACTIVE" | "LEGACY", "legacy_since": "YYYY-MM-DD" | null,
                        "end_of_life": "YYYY-MM-DD" | null},
          "replacement": "sonnet",            # optional: alias of the model to move to
          "mantle": {"id": "openai.gpt-oss-120b", "path": "/v1" | "/openai/v1" | "/anthropic",
                     "regions": ["us-east-1"]},   # optional: served on bedrock-mantle
          "sources": ["<key>", ...],          # keys of "sources" backing this entry
          "note": "..."                       # optional: why a list is what it is
        }
      ],
      "retired": [{"id": ..., "name": ..., "aliases": [...], "replacement": "<alias>"}]
    }

Region names are written exactly as AWS spells them; geographies are those of
:data:`bedrock_auth.regions.GEOGRAPHY_PREFIXES`. Every key above is present in every entry
except ``replacement``, ``mantle``, ``note``, ``embedding_dimensions`` and the optional
capabilities marked with a default. The listings carry none of those: the refresh command
keeps them as they are. The file is kept in
the canonical layout of :func:`dumps` (``python -m bedrock_auth._data.refresh`` writes it so;
a test checks it). Refresh it from real listings with that command; see docs/models.md.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

__all__ = [
    "CAPABILITY_KEYS",
    "FORMAT",
    "MANTLE_PATHS",
    "REASONING",
    "S3_PLACES",
    "TOOL_USE_TYPES",
    "Capabilities",
    "Lifecycle",
    "MantleRoute",
    "ModelInfo",
    "Table",
    "alias_key",
    "dumps",
    "read",
    "table",
]

#: The layout version of ``models.json`` this module reads.
FORMAT = 1
#: How a model reasons: never, when asked (thinking / reasoning effort), or on every answer.
REASONING = ("none", "optional", "always")
#: When a Converse ``toolUse`` block carries ``"type": "tool_use"``: never, on every tool call,
#: or when the request offers a ``systemTool``.
TOOL_USE_TYPES = ("never", "always", "with_system_tools")
#: Where an ``s3Location`` medium can sit in a Converse request (``s3_refused`` keys).
S3_PLACES = ("message", "tool_result")
#: Mantle base paths: OpenAI-compatible (``/v1``, ``/openai/v1``) and Anthropic Messages.
MANTLE_PATHS = ("/v1", "/openai/v1", "/anthropic")
_FILE = "models.json"

RetiredEntry = tuple[str, str, tuple[str, ...], str]


def alias_key(text: str) -> str:
    """One spelling per alias: ``Sonnet 4.5``, ``sonnet_4.5`` and ``sonnet-4-5`` all meet here."""
    return re.sub(r"[\s._]+", "-", text.strip().lower())


@dataclass(frozen=True)
class Capabilities:
    """What a model can do, as far as a caller has to know before calling it."""

    streaming: bool = True
    tools: bool = True
    #: ``none``, ``optional`` (thinking / reasoning effort on request) or ``always``.
    reasoning: str = "none"
    citations: bool = False
    #: Bedrock's ``CountTokens`` on bedrock-runtime accepts the model (its base id).
    count_tokens: bool = False
    input_modalities: tuple[str, ...] = ("TEXT",)
    output_modalities: tuple[str, ...] = ("TEXT",)
    #: For embedding models, the output sizes it offers; the first is its default.
    embedding_dimensions: tuple[int, ...] = ()
    # How the answers look on Bedrock (the emulator answers so; see the module doc for each).
    invoke_body: str | None = None
    reasoning_signed: bool = False
    reasoning_after_text: bool = False
    tool_use_type: str = "never"
    forced_choice_after_results: bool = True
    cache_usage_always: bool = False
    leading_assistant: bool = False
    #: (medium, place) pairs whose ``s3Location`` source Bedrock refuses.
    s3_refused: frozenset[tuple[str, str]] = frozenset()
    system_tools: tuple[str, ...] = ()
    embeddings_by_type: bool = False

    @property
    def embeddings(self) -> bool:
        """True for an embedding model."""
        return "EMBEDDING" in self.output_modalities


@dataclass(frozen=True)
class Lifecycle:
    """``ACTIVE`` or ``LEGACY``, with the dates (ISO ``YYYY-MM-DD``) where AWS gave them."""

    status: str = "ACTIVE"
    legacy_since: str | None = None
    end_of_life: str | None = None


@dataclass(frozen=True)
class MantleRoute:
    """How bedrock-mantle serves a model: its bare id there, its base path and Regions."""

    model_id: str
    path: str
    regions: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelInfo:
    """One Bedrock model and where it can be called on demand.

    ``geographies`` maps an inference-profile prefix (``us``, ``eu``, ``global``, ...) to the
    *source* Regions a request with that profile may be sent from. ``on_demand_regions``
    lists the Regions where the plain ``model_id`` is accepted on bedrock-runtime. When
    ``regions_complete`` is false those lists hold only the Regions a source confirmed.
    """

    model_id: str
    provider: str
    display_name: str
    aliases: tuple[str, ...] = ()
    # hash=False: a mapping is not hashable, and model_id already identifies the entry.
    geographies: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )
    on_demand_regions: tuple[str, ...] = ()
    capabilities: Capabilities = field(default_factory=Capabilities)
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    #: For a legacy model, the alias of the catalog model to move to (named in its warning).
    replacement: str | None = None
    #: How bedrock-mantle serves the model, if it does.
    mantle: MantleRoute | None = None
    #: False when the Region lists are only what a source confirmed (see the module doc).
    regions_complete: bool = True
    #: The provider's name as ``ListFoundationModels`` gives it (``Mistral AI``).
    provider_name: str = ""

    def __post_init__(self) -> None:
        # Freeze the mapping too, so a caller cannot edit the shared catalog by accident.
        object.__setattr__(self, "geographies", MappingProxyType(dict(self.geographies)))

    @property
    def regions(self) -> tuple[str, ...]:
        """Every Region the model can be called from on bedrock-runtime, plain or via a profile."""
        found = set(self.on_demand_regions)
        for sources in self.geographies.values():
            found.update(sources)
        return tuple(sorted(found))

    def on_demand_in(self, region: str) -> bool:
        """Does bedrock-runtime take the plain id from ``region``?

        Yes where the data lists the Region. For an entry whose lists are only what a source
        confirmed (``regions_complete`` false), a model confirmed on demand somewhere is taken to
        run on demand everywhere: the library passes its id through unchanged, as it does for
        ids newer than the data, and the emulator (Bedrock's stand-in) accepts it.
        """
        if region in self.on_demand_regions:
            return True
        return not self.regions_complete and bool(self.on_demand_regions)

    @property
    def requires_profile(self) -> bool:
        """True when bedrock-runtime takes the model only through an inference profile."""
        return bool(self.geographies) and not self.on_demand_regions

    @property
    def legacy(self) -> bool:
        """AWS lists the model as Legacy: it still resolves, but new work should move off it."""
        return self.lifecycle.status == "LEGACY"


class _Models:
    """The file's models, each built into a :class:`ModelInfo` on its first lookup: a call
    needs one or two of them, and building all of them costs more than reading the file."""

    def __init__(self, raw: list[Mapping[str, Any]], providers: Mapping[str, str]) -> None:
        self._raw = raw
        self._providers = providers
        self._built: list[ModelInfo | None] = [None] * len(raw)
        self._all: tuple[ModelInfo, ...] | None = None

    def all(self) -> tuple[ModelInfo, ...]:
        """Every model, in the file's order (builds those not looked up yet)."""
        if self._all is None:
            self._all = tuple(map(self.at, range(len(self._raw))))
        return self._all

    def at(self, position: int) -> ModelInfo:
        """The model at ``position`` in the file, built once (a race builds an equal copy)."""
        info = self._built[position]
        if info is None:
            info = self._built[position] = _model(self._raw[position], self._providers)
        return info


class _Index(Mapping[str, ModelInfo]):
    """A read-only mapping of keys to the models at their positions, built on lookup."""

    def __init__(self, models: _Models, positions: Mapping[str, int]) -> None:
        self._models = models
        self._positions = positions

    def __getitem__(self, key: str) -> ModelInfo:
        return self._models.at(self._positions[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._positions)

    def __len__(self) -> int:
        return len(self._positions)


class Table(NamedTuple):
    """The parsed data file, indexed for lookups. (A named tuple: cheaper to define than a
    dataclass, on the first call's path.)"""

    entries: _Models
    retired: tuple[RetiredEntry, ...]
    providers: Mapping[str, str]
    by_id: Mapping[str, ModelInfo]
    by_alias: Mapping[str, ModelInfo]
    #: alias key of every retired id or name -> (display name, replacement alias)
    retired_names: Mapping[str, tuple[str, str]]

    @property
    def models(self) -> tuple[ModelInfo, ...]:
        """Every model, in the file's order."""
        return self.entries.all()


def _text() -> str:
    try:
        with open(os.path.join(os.path.dirname(__file__), _FILE), encoding="utf-8") as file:
            return file.read()
    except FileNotFoundError:
        # Not unpacked on disk (a zip): ask the import system. Only then, because importing
        # importlib.resources costs more than reading and parsing the file.
        from importlib.resources import files

        return files(__name__).joinpath(_FILE).read_text("utf-8")


def read() -> dict[str, Any]:
    """The data file as JSON (for the refresh command and the docs; lookups use :func:`table`)."""
    data: dict[str, Any] = json.loads(_text())
    if data.get("format") != FORMAT:
        raise ValueError(f"{_FILE} has format {data.get('format')!r}; this code reads {FORMAT}")
    return data


#: Optional capability keys whose JSON value is the field's value as it is.
_PLAIN_OPTIONAL = (
    "invoke_body",
    "reasoning_signed",
    "reasoning_after_text",
    "tool_use_type",
    "forced_choice_after_results",
    "cache_usage_always",
    "leading_assistant",
    "embeddings_by_type",
)


#: Every key a ``capabilities`` entry may have (the refresh command sets only the listed
#: ``streaming``, ``input`` and ``output``; the rest are hand-kept).
CAPABILITY_KEYS = (
    "streaming",
    "tools",
    "reasoning",
    "citations",
    "count_tokens",
    "input",
    "output",
    "embedding_dimensions",
    "s3_refused",
    "system_tools",
    *_PLAIN_OPTIONAL,
)


def _capabilities(raw: Mapping[str, Any]) -> Capabilities:
    refused = raw.get("s3_refused", {})
    return Capabilities(
        streaming=raw["streaming"],
        tools=raw["tools"],
        reasoning=raw["reasoning"],
        citations=raw["citations"],
        count_tokens=raw["count_tokens"],
        input_modalities=tuple(raw["input"]),
        output_modalities=tuple(raw["output"]),
        embedding_dimensions=tuple(raw.get("embedding_dimensions", ())),
        s3_refused=frozenset((medium, place) for place in refused for medium in refused[place]),
        system_tools=tuple(raw.get("system_tools", ())),
        **{key: raw[key] for key in _PLAIN_OPTIONAL if key in raw},
    )


def _model(raw: Mapping[str, Any], providers: Mapping[str, str]) -> ModelInfo:
    provider = raw["id"].split(".", 1)[0]  # every Bedrock id starts with its provider
    mantle = raw.get("mantle")
    return ModelInfo(
        model_id=raw["id"],
        provider=provider,
        display_name=raw["name"],
        aliases=tuple(raw["aliases"]),
        geographies={geo: tuple(regions) for geo, regions in raw["profiles"].items()},
        on_demand_regions=tuple(raw["regions"]),
        capabilities=_capabilities(raw["capabilities"]),
        lifecycle=Lifecycle(**raw["lifecycle"]),
        replacement=raw.get("replacement"),
        mantle=MantleRoute(mantle["id"], mantle["path"], tuple(mantle["regions"]))
        if mantle
        else None,
        regions_complete=raw["regions_complete"],
        provider_name=providers.get(provider, provider),
    )


def _index(data: Mapping[str, Any]) -> Table:
    providers = MappingProxyType(dict(data["providers"]))
    raw = data["models"]
    entries = _Models(raw, providers)
    retired = tuple(
        (r["id"], r["name"], tuple(r["aliases"]), r["replacement"]) for r in data["retired"]
    )
    # A model is also found by its bedrock-mantle id (openai.gpt-oss-120b).
    by_id = {m["mantle"]["id"]: i for i, m in enumerate(raw) if m.get("mantle")}
    by_id.update((m["id"], i) for i, m in enumerate(raw))
    by_alias = {alias_key(a): i for i, m in enumerate(raw) for a in m["aliases"]}
    return Table(
        entries=entries,
        retired=retired,
        providers=providers,
        by_id=_Index(entries, by_id),
        by_alias=_Index(entries, by_alias),
        retired_names=MappingProxyType(
            {
                alias_key(name): (display, replacement)
                for model_id, display, names, replacement in retired
                for name in (model_id, *names)
            }
        ),
    )


_loaded: list[Table] = []


def table() -> Table:
    """The data, parsed on the first call and shared after (immutable, so fork-safe as is)."""
    if not _loaded:
        # No lock: two threads racing here both parse, and both return the first one stored.
        _loaded.append(_index(read()))
    return _loaded[0]


# -- the canonical layout of models.json ---------------------------------------------------------


def dumps(data: Any, indent: int = 0) -> str:
    """``data`` as JSON in the file's layout: two-space indents, scalar lists on one line.

    The refresh command writes the file with it, so a change shows as a small diff.
    """
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(data, dict):
        if not data:
            return "{}"
        items = (f"{inner}{json.dumps(k)}: {dumps(v, indent + 1)}" for k, v in data.items())
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(data, list) and any(isinstance(v, dict | list) for v in data):
        return "[\n" + ",\n".join(f"{inner}{dumps(v, indent + 1)}" for v in data) + f"\n{pad}]"
    return json.dumps(data, ensure_ascii=False)
