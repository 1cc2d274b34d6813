"""Replaying recorded Bedrock traffic against the emulator, and comparing answers by structure.

The recordings (``tests/data/replay/``, see its README) are requests other projects sent to
real Bedrock and what Bedrock answered. :func:`send` replays one request over a socket, signed
as botocore signs it; :func:`differences` compares the emulator's answer with Bedrock's by
structure only: status and error code, keys and value types at every depth, enum values, usage
fields, headers, and the grammar of event streams. Text is the emulator's own and never compared.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.eventstream import EventStreamBuffer

DATA = Path(__file__).parent / "data" / "replay"

#: Operation of each runtime path suffix.
OPERATIONS = {
    "converse": "Converse",
    "converse-stream": "ConverseStream",
    "invoke": "InvokeModel",
    "invoke-with-response-stream": "InvokeModelWithResponseStream",
    "count-tokens": "CountTokens",
}
#: Keys never compared: ``p`` is the random padding Bedrock adds to stream events (against
#: length side channels); clients ignore it and the emulator does not send it.
IGNORED_KEYS = frozenset({"p"})
#: Values chosen by the model or the caller: their inside is free-form JSON (tool arguments,
#: tool results, provider-specific response fields).
FREE_FORM = frozenset({"input", "json", "additionalModelResponseFields"})
#: Maps keyed by an id (a guardrail's id): their values are compared, their keys are not.
ID_MAPS = frozenset({"inputAssessment", "outputAssessments"})
#: Keys whose values form an enum: compared by value (stop reasons through STOP_EQUIVALENT).
ENUMS = frozenset(
    {
        "stopReason",
        "stop_reason",
        "role",
        "type",
        "response_type",
        "embeddingType",
        "latency",
        "status",
        "finish_reason",
        "embeddingPurpose",
    }
)
#: Stop reasons that depend on the model's text, which the emulator does not reproduce: the
#: answer's length (``max_tokens``) and, under automatic tool choice, whether the model wanted a
#: tool (``tool_use``).
LENGTH_STOPS = frozenset({"end_turn", "max_tokens"})
TOOL_STOPS = frozenset({"end_turn", "tool_use"})


@dataclass(frozen=True)
class Interaction:
    """One recorded request and Bedrock's answer."""

    method: str
    uri: str
    model: str
    request: Any
    response: dict[str, Any]

    @property
    def operation(self) -> str:
        return OPERATIONS[self.uri.rsplit("/", 1)[1]]

    @property
    def region(self) -> str:
        return urlsplit(self.uri).hostname.split(".")[1]  # type: ignore[union-attr]

    @property
    def status(self) -> int:
        return int(self.response["status"])


@dataclass(frozen=True)
class Cassette:
    """A recorded cassette's bedrock-runtime interactions, with where they came from."""

    name: str
    source: dict[str, str]
    interactions: tuple[Interaction, ...]
    setup: dict[str, Any] = field(default_factory=dict)


def load_cassettes() -> list[Cassette]:
    found = []
    for path in sorted(DATA.glob("*/*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        interactions = tuple(Interaction(**entry) for entry in data["interactions"])
        name = f"{path.parent.name}/{path.stem}"
        found.append(Cassette(name, data["source"], interactions, data.get("setup", {})))
    return found


# -- sending ----------------------------------------------------------------------------------


@dataclass
class Answer:
    """What the emulator answered: status, headers (lower-case), JSON body or stream events."""

    status: int
    headers: dict[str, str]
    body: Any = None
    events: list[tuple[str, Any]] | None = None

    @property
    def error_code(self) -> str | None:
        raw = self.headers.get("x-amzn-errortype")
        return raw.split(":", 1)[0] if raw else None


def send(endpoint_url: str, interaction: Interaction, key_id: str, secret: str) -> Answer:
    """Replay the recorded method, path and body, SigV4-signed as botocore signs for Bedrock."""
    target = urlsplit(endpoint_url)
    path = urlsplit(interaction.uri).path
    body = json.dumps(interaction.request).encode("utf-8")
    request = AWSRequest(
        interaction.method,
        f"{endpoint_url}{path}",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    SigV4Auth(Credentials(key_id, secret), "bedrock", interaction.region).add_auth(request)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
    try:
        connection.request(interaction.method, path, body, dict(request.headers.items()))
        response = connection.getresponse()
        raw = response.read()
        headers = {k.lower(): v for k, v in response.getheaders()}
    finally:
        connection.close()
    if headers.get("content-type", "").startswith("application/vnd.amazon.eventstream"):
        return Answer(response.status, headers, events=decode_events(raw))
    return Answer(response.status, headers, json.loads(raw) if raw else None)


def decode_events(raw: bytes) -> list[tuple[str, Any]]:
    """Event-stream frames as (event or exception type, JSON payload), by botocore's parser."""
    buffer = EventStreamBuffer()
    buffer.add_data(raw)
    return [
        (
            m.headers.get(":event-type") or m.headers.get(":exception-type"),
            json.loads(m.payload or b"{}"),
        )
        for m in buffer
    ]


# -- structure --------------------------------------------------------------------------------


def kind(value: Any) -> str:
    """A JSON value's type, numbers as one type (Bedrock writes 1.0 and 1 alike)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dict) and "__numbers__" in value:
        return "number[]"  # a vector the recording keeps as its length only
    if isinstance(value, list) and value and all(kind(v) == "number" for v in value):
        return "number[]"
    return {str: "string", list: "array", dict: "object", type(None): "null"}[type(value)]


def vector_length(value: Any) -> int:
    return int(value["__numbers__"]) if isinstance(value, dict) else len(value)


def block_kind(block: Any) -> str:
    """A content block's kind: its one key (Converse) or its ``type`` (Anthropic)."""
    if isinstance(block, dict) and isinstance(block.get("type"), str) and "text" not in block:
        return str(block["type"])
    if isinstance(block, dict) and block.get("type") == "text":
        return "text"
    return next(iter(block), "?") if isinstance(block, dict) else kind(block)


def merged(items: Iterable[Any]) -> Any:
    """One value standing for all items of a list: dicts merged key by key."""
    items = list(items)
    dicts = [i for i in items if isinstance(i, dict)]
    if not dicts or len(dicts) != len(items):
        return items[0] if items else None
    out: dict[str, Any] = {}
    for d in dicts:
        for k, v in d.items():
            out[k] = merged([out[k], v]) if k in out else v
    return out


def expected_error_codes(operation: str, status: int) -> set[str]:
    """The errors botocore's model gives ``operation`` with this HTTP status (recordings keep
    the status and message, not always the ``x-amzn-ErrorType`` header)."""
    from botocore.session import get_session

    model = get_session().get_service_model("bedrock-runtime").operation_model(operation)
    return {
        shape.name
        for shape in model.error_shapes
        if shape.metadata.get("error", {}).get("httpStatusCode") == status
    }


def stop_reason(parts: Iterable[tuple[str, Any]]) -> str | None:
    for _root, value in parts:
        if isinstance(value, dict):
            found = value.get("stopReason") or value.get("stop_reason")
            if isinstance(found, str):
                return found
            delta = value.get("delta")
            if isinstance(delta, dict) and isinstance(delta.get("stop_reason"), str):
                return str(delta["stop_reason"])
    return None


def auto_tool_choice(request: Any) -> bool:
    """Does the request offer tools and leave the choice to the model?"""
    body = request if isinstance(request, dict) else {}
    config = body.get("toolConfig") or {}
    tools = config.get("tools") or body.get("tools")
    choice = config.get("toolChoice") or body.get("tool_choice") or {"auto": {}}
    return bool(tools) and ("auto" in choice or choice.get("type") == "auto")


@dataclass
class Comparison:
    """Compares one emulated answer with Bedrock's; ``problems`` lists what differs.

    ``corpus`` holds the keys Bedrock sent at each place anywhere in the recordings: the
    emulator must send every key Bedrock sent in this answer, and may add only keys Bedrock
    sends there in some other answer (a field that is optional, or that Bedrock added after an
    older recording was made).
    """

    corpus: dict[str, set[str]]
    tools_diverged: bool = False
    #: Bedrock's answer is a tool call: text around it is the model's choice (Claude and Nova
    #: often say what they are about to do), so the emulator may send none.
    text_optional: bool = False
    problems: list[str] = field(default_factory=list)

    def value(self, recorded: Any, emulated: Any, path: str) -> None:
        last = path.rsplit(".", 1)[-1]
        rk, ek = kind(recorded), kind(emulated)
        if rk != ek:
            self.problems.append(f"{path}: {ek} where Bedrock sent {rk}")
        elif last in FREE_FORM:
            return
        elif rk == "number[]" and isinstance(recorded, dict):
            if vector_length(recorded) != vector_length(emulated):
                self.problems.append(
                    f"{path}: {vector_length(emulated)} values, Bedrock {vector_length(recorded)}"
                )
        elif rk == "object":
            self.mapping(recorded, emulated, path)
        elif rk == "array":
            self.array(recorded, emulated, path)
        elif last in ENUMS and rk == "string":
            self.enum(recorded, emulated, path)

    def enum(self, recorded: str, emulated: str, path: str) -> None:
        if recorded == emulated:
            return
        if {recorded, emulated} <= LENGTH_STOPS and "stop" in path.lower():
            return
        if self.tools_diverged and {recorded, emulated} <= TOOL_STOPS:
            return
        self.problems.append(f"{path}: {emulated!r} where Bedrock sent {recorded!r}")

    def mapping(self, recorded: dict[str, Any], emulated: dict[str, Any], path: str) -> None:
        if path.rsplit(".", 1)[-1] in ID_MAPS:
            self.value(merged(recorded.values()), merged(emulated.values()), f"{path}.*")
            return
        missing = set(recorded) - set(emulated) - IGNORED_KEYS
        if self.tools_diverged:
            missing -= {"toolUse", "tool_use"}
        if self.text_optional and path.endswith(".delta"):
            missing -= {"text"}
        extra = set(emulated) - set(recorded) - IGNORED_KEYS - self.corpus.get(path, set())
        self.problems += [f"{path}: no {k!r}" for k in sorted(missing)]
        self.problems += [f"{path}: {k!r}, which Bedrock never sends there" for k in sorted(extra)]
        for key in sorted(set(recorded) & set(emulated) - IGNORED_KEYS):
            self.value(recorded[key], emulated[key], f"{path}.{key}")

    def array(self, recorded: list[Any], emulated: list[Any], path: str) -> None:
        if path.endswith("content"):
            self.blocks(recorded, emulated, path)
        elif recorded and not emulated:
            self.problems.append(f"{path}: empty where Bedrock sent {len(recorded)} items")
        elif recorded:
            self.value(merged(recorded), merged(emulated), f"{path}[]")

    def kinds(self, blocks: list[Any]) -> dict[str, list[Any]]:
        grouped: dict[str, list[Any]] = {}
        for block in blocks:
            grouped.setdefault(block_kind(block), []).append(block)
        if self.tools_diverged:
            for tool in ("toolUse", "tool_use"):
                grouped.pop(tool, None)
        return grouped

    def blocks(self, recorded: list[Any], emulated: list[Any], path: str) -> None:
        """Content blocks: the same kinds besides text. Text is synthetic: a text block may
        come with a tool call or not, but an answer in text must have one."""
        rec, emu = self.kinds(recorded), self.kinds(emulated)
        need, got = set(rec) - {"text"}, set(emu) - {"text"}
        if need != got:
            self.problems.append(f"{path}: blocks {sorted(got)} where Bedrock sent {sorted(need)}")
        answered_in_text = "text" in rec and not need & {"toolUse", "tool_use"}
        if answered_in_text and "text" not in emu:
            self.problems.append(f"{path}: no text block")
        for name in sorted(set(rec) & set(emu)):
            self.value(merged(rec[name]), merged(emu[name]), f"{path}[{name}]")


def _collect_keys(value: Any, path: str, into: dict[str, set[str]]) -> None:
    last = path.rsplit(".", 1)[-1]
    if isinstance(value, dict) and "__numbers__" not in value and last not in FREE_FORM:
        if last in ID_MAPS:
            for v in value.values():
                _collect_keys(v, f"{path}.*", into)
            return
        into.setdefault(path, set()).update(value)
        for k, v in value.items():
            _collect_keys(v, f"{path}.{k}", into)
    elif isinstance(value, list):
        for item in value:
            suffix = f"[{block_kind(item)}]" if path.endswith("content") else "[]"
            _collect_keys(item, path + suffix, into)


def corpus_keys(cassettes: Iterable[Cassette]) -> dict[str, set[str]]:
    """Every key Bedrock sent at each place, over all recorded answers."""
    table: dict[str, set[str]] = {}
    for cassette in cassettes:
        for interaction in cassette.interactions:
            for root, value in _merged_parts(recorded_parts(interaction)).items():
                _collect_keys(value, root, table)
    return table


def recorded_parts(i: Interaction) -> list[tuple[str, Any]]:
    """(place, JSON value) of each document in a recorded answer (one per stream event)."""
    if "events" in i.response:
        return [(f"{i.operation}:{name}", payload) for name, payload in i.response["events"]]
    return [(f"{i.operation}:body", i.response.get("body"))]


def emulated_parts(i: Interaction, answer: Answer) -> list[tuple[str, Any]]:
    if answer.events is not None:
        return [(f"{i.operation}:{name}", payload) for name, payload in answer.events]
    return [(f"{i.operation}:body", answer.body)]


def _merged_parts(parts: list[tuple[str, Any]]) -> dict[str, Any]:
    """Stream events of one type merged into one value (their union of keys)."""
    grouped: dict[str, list[Any]] = {}
    for root, value in parts:
        grouped.setdefault(root, []).append(value)
    return {root: merged(values) for root, values in grouped.items()}


def header_names(headers: dict[str, Any]) -> set[str]:
    return {h.lower() for h in headers if h.lower().startswith("x-amzn-bedrock-")}


def corpus_headers(cassettes: Iterable[Cassette]) -> dict[str, set[str]]:
    table: dict[str, set[str]] = {}
    for cassette in cassettes:
        for i in cassette.interactions:
            table.setdefault(i.operation, set()).update(header_names(i.response["headers"]))
    return table


# -- event streams ----------------------------------------------------------------------------

PLAIN_TEXT = ("", ("text",))


def _delta_kind(delta: dict[str, Any]) -> str:
    name = next(iter(delta), "?")
    inner = delta.get(name)
    return (
        f"{name}.{'+'.join(sorted(inner))}"
        if isinstance(inner, dict) and name != "toolUse"
        else name
    )


def block_signatures(events: list[tuple[str, Any]]) -> list[tuple[str, tuple[str, ...]]]:
    """Per content block: what its ``contentBlockStart`` opens (or "") and its kinds of delta,
    in order (``reasoningContent.text`` then ``reasoningContent.signature``; ``citation`` then
    ``text``)."""
    starts: dict[int, str] = {}
    deltas: dict[int, list[str]] = {}
    for name, payload in events:
        index = payload.get("contentBlockIndex") if isinstance(payload, dict) else None
        if not isinstance(index, int):
            continue
        if name == "contentBlockStart":
            starts[index] = next(iter(payload.get("start") or {}), "?")
        elif name == "contentBlockDelta":
            found = deltas.setdefault(index, [])
            kind_ = _delta_kind(payload.get("delta") or {})
            if kind_ not in found:
                found.append(kind_)
    return [(starts.get(i, ""), tuple(deltas.get(i, ()))) for i in sorted({*starts, *deltas})]


def frame_grammar(events: list[tuple[str, Any]]) -> list[str]:
    """The stream's outline: ``messageStart``, content blocks, ``messageStop``, ``metadata``."""
    outline: list[str] = []
    for name, _payload in events:
        step = "contentBlock*" if name.startswith("contentBlock") else name
        if not outline or outline[-1] != step:
            outline.append(step)
    return outline


def compare_streams(recorded: list[Any], emulated: list[tuple[str, Any]], cmp: Comparison) -> None:
    rec_events = [(str(n), p) for n, p in recorded]
    if frame_grammar(rec_events) != frame_grammar(emulated):
        cmp.problems.append(
            f"stream outline {frame_grammar(emulated)}, Bedrock {frame_grammar(rec_events)}"
        )
    tool_blocks = {"toolUse"} if cmp.tools_diverged else set()

    def kinds(signatures: list[tuple[str, tuple[str, ...]]]) -> set[tuple[str, tuple[str, ...]]]:
        return {s for s in signatures if s != PLAIN_TEXT and s[0] not in tool_blocks}

    need, got = kinds(block_signatures(rec_events)), kinds(block_signatures(emulated))
    if need != got:
        cmp.problems.append(f"stream blocks {sorted(got)}, Bedrock {sorted(need)}")


# -- one answer -------------------------------------------------------------------------------


def differences(
    i: Interaction, answer: Answer, corpus: dict[str, set[str]], headers: dict[str, set[str]]
) -> list[str]:
    """Everything in which the emulator's answer differs from Bedrock's, by structure."""
    if answer.status != i.status:
        return [f"status {answer.status} ({answer.body}), Bedrock {i.status} ({i.response})"]
    if i.status >= 300:
        return _error_differences(i, answer)
    cmp = Comparison(corpus)
    rec, emu = recorded_parts(i), emulated_parts(i, answer)
    rec_stop, emu_stop = stop_reason(rec), stop_reason(emu)
    cmp.tools_diverged = (
        rec_stop != emu_stop and {rec_stop, emu_stop} <= TOOL_STOPS and auto_tool_choice(i.request)
    )
    cmp.text_optional = "tool_use" in (rec_stop, emu_stop)
    missing = header_names(i.response["headers"]) - header_names(answer.headers)
    extra = header_names(answer.headers) - header_names(i.response["headers"])
    cmp.problems += [f"no header {h}" for h in sorted(missing)]
    cmp.problems += [
        f"header {h}, never sent by Bedrock"
        for h in sorted(extra - headers.get(i.operation, set()))
    ]
    if answer.events is not None:
        compare_streams(i.response.get("events", []), answer.events, cmp)
    cmp.problems += _structured_output_problems(i, answer)
    rec_merged, emu_merged = _merged_parts(rec), _merged_parts(emu)
    for root in sorted(set(rec_merged) & set(emu_merged)):
        cmp.value(rec_merged[root], emu_merged[root], root)
    absent = set(rec_merged) - set(emu_merged) - {f"{i.operation}:contentBlockStart"}
    cmp.problems += [f"no {root} event" for root in sorted(absent)]
    return cmp.problems


def _json_texts(body: Any) -> list[bool]:
    """For each text block of a Converse answer: is it JSON?"""
    content = ((body or {}).get("output") or {}).get("message", {}).get("content") or []
    texts = [b["text"] for b in content if isinstance(b, dict) and isinstance(b.get("text"), str)]
    out = []
    for text in texts:
        try:
            json.loads(text)
            out.append(True)
        except ValueError:
            out.append(False)
    return out


def _structured_output_problems(i: Interaction, answer: Answer) -> list[str]:
    """Structured output (``outputConfig``) answered in JSON must be answered in JSON."""
    if (
        not (isinstance(i.request, dict) and i.request.get("outputConfig"))
        or "body" not in i.response
    ):
        return []
    if any(_json_texts(i.response["body"])) and not any(_json_texts(answer.body)):
        return ["structured output: no JSON text, where Bedrock answered JSON"]
    return []


def _error_differences(i: Interaction, answer: Answer) -> list[str]:
    problems = []
    codes = expected_error_codes(i.operation, i.status)
    recorded_code = i.response["headers"].get("x-amzn-errortype")
    if recorded_code:
        codes = {recorded_code.split(":", 1)[0]}
    if answer.error_code not in codes:
        problems.append(f"error {answer.error_code}, Bedrock one of {sorted(codes)}")
    recorded_message = (i.response.get("body") or {}).get("message")
    emulated_message = (answer.body or {}).get("message")
    if recorded_message != emulated_message:
        problems.append(f"message {emulated_message!r}, Bedrock {recorded_message!r}")
    return problems
