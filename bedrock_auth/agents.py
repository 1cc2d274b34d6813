"""Calling Bedrock Agents: ``invoke_agent`` and its stream, sync or async.

``agent_id``/``alias_id`` default to the manager's ``settings.agent_id``/``agent_alias_id``
(``BEDROCK_AGENT_ID``/``BEDROCK_AGENT_ALIAS_ID``, read when the manager was created); a new
session id is made when none is given. An agent lives in one region, so there is no failover.
Agents need IAM credentials (SigV4). The async twins are made from the same description of the
call as the sync helpers (:mod:`bedrock_auth._calls`).

>>> from bedrock_auth import invoke_agent
>>> invoke_agent("What is our refund policy?").text                 # doctest: +SKIP
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bedrock_auth._calls import (
    AsyncStream,
    Call,
    Stream,
    Where,
    athen,
    awaited,
    blocking,
    send,
    then,
)
from bedrock_auth._translate import ErrorContext
from bedrock_auth.errors import BedrockAuthError, ConfigurationError

if TYPE_CHECKING:
    from bedrock_auth.manager import BedrockClientManager
    from bedrock_auth.regions import Region


@dataclass(frozen=True)
class AgentResult:
    """What :func:`invoke_agent` returns."""

    text: str
    session_id: str
    citations: list[Mapping[str, Any]]
    trace: list[Mapping[str, Any]]


class AgentStream(Stream):
    """Yields an agent's answer chunk by chunk; ``.citations`` and ``.trace`` fill as it goes."""

    def __init__(
        self, events: Iterable[Mapping[str, Any]], ctx: ErrorContext, session_id: str
    ) -> None:
        self.session_id = session_id
        self.citations: list[Mapping[str, Any]] = []
        self.trace: list[Mapping[str, Any]] = []
        super().__init__(events, ctx)

    def _event(self, event: Mapping[str, Any]) -> str:
        if "trace" in event:
            self.trace.append(event["trace"])
        chunk = event.get("chunk")
        if chunk is None:
            return ""
        self.citations.extend(chunk.get("attribution", {}).get("citations", []))
        data = chunk.get("bytes", b"")
        return data.decode() if isinstance(data, bytes) else str(data)

    def result(self) -> AgentResult:
        """Read the rest of the stream and return the assembled answer."""
        for _ in self:
            pass
        return AgentResult(self.text, self.session_id, self.citations, self.trace)


class AsyncAgentStream(AsyncStream[AgentStream]):
    """:class:`AgentStream`, async: ``async for`` the answer's chunks."""

    @property
    def session_id(self) -> str:
        return self._stream.session_id

    @property
    def citations(self) -> list[Mapping[str, Any]]:
        return self._stream.citations

    @property
    def trace(self) -> list[Mapping[str, Any]]:
        return self._stream.trace

    async def result(self) -> AgentResult:
        """Read the rest of the stream and return the assembled answer."""
        async for _ in self:
            pass
        return AgentResult(self.text, self.session_id, self.citations, self.trace)


def _agent_ids(
    manager: BedrockClientManager, agent_id: str | None, alias_id: str | None
) -> tuple[str, str]:
    agent = agent_id or manager.settings.agent_id or ""
    alias = alias_id or manager.settings.agent_alias_id or ""
    missing = [
        name
        for name, value in (
            ("agent_id (or BEDROCK_AGENT_ID)", agent),
            ("alias_id (or BEDROCK_AGENT_ALIAS_ID)", alias),
        )
        if not value
    ]
    if missing:
        raise ConfigurationError(
            f"invoke_agent needs {' and '.join(missing)}. Find them with "
            "`aws bedrock-agent list-agents` and `aws bedrock-agent list-agent-aliases "
            "--agent-id <id>`, then export BEDROCK_AGENT_ID=... BEDROCK_AGENT_ALIAS_ID=..."
        )
    return agent, alias


def _agent_error(error: BedrockAuthError, agent: str, alias: str, region: str) -> BedrockAuthError:
    text = str(error)
    if "ResourceNotFound" in text or "was not found" in text:
        return type(error)(
            f"{text}\nCheck the agent id ({agent}), the alias id ({alias}), the region ({region}), "
            "and that the alias is deployed: `aws bedrock-agent list-agent-aliases --agent-id "
            f"{agent} --region {region}`."
        )
    return error


@blocking
def invoke_agent_stream(
    input_text: str,
    *,
    agent_id: str | None = None,
    alias_id: str | None = None,
    session_id: str | None = None,
    enable_trace: bool = False,
    session_state: Mapping[str, Any] | None = None,
    region: str | None = None,
    manager: BedrockClientManager | None = None,
) -> Call[AgentStream]:
    """Invoke a Bedrock Agent and stream its answer chunk by chunk.

    ``agent_id``/``alias_id`` default to the manager's ``settings.agent_id``/``agent_alias_id``
    (``BEDROCK_AGENT_ID``/``BEDROCK_AGENT_ALIAS_ID``); a new session id is made when none is
    given. Agents need IAM credentials (SigV4).
    """
    request: dict[str, Any] = {
        "sessionId": session_id or str(uuid.uuid4()),
        "inputText": input_text,
        "enableTrace": enable_trace,
    }
    if session_state:
        request["sessionState"] = dict(session_state)

    def attempt(manager: BedrockClientManager, region: Region) -> AgentStream:
        agent, alias = _agent_ids(manager, agent_id, alias_id)
        ctx = ErrorContext(
            service="bedrock-agent-runtime",
            operation="InvokeAgent",
            region=region,
            profile=manager.profile or "",
        )
        try:
            reply = send(
                manager,
                ctx,
                lambda client: client.invoke_agent(agentId=agent, agentAliasId=alias, **request),
            )
            return AgentStream(
                reply["completion"], ctx, str(reply.get("sessionId", request["sessionId"]))
            )
        except BedrockAuthError as error:
            raise _agent_error(error, agent, alias, region) from error.__cause__

    return Call(Where.of(region, (), manager), "InvokeAgent", attempt)


invoke_agent = then(
    invoke_agent_stream,
    AgentStream.result,
    "invoke_agent",
    """Invoke a Bedrock Agent and return its whole answer, session id, citations and trace.

    The same arguments as :func:`invoke_agent_stream`.

    >>> answer = invoke_agent("What is our refund policy?")      # doctest: +SKIP
    >>> answer.text, answer.session_id                            # doctest: +SKIP
    """,
)
ainvoke_agent_stream = awaited(
    invoke_agent_stream,
    AsyncAgentStream,
    ":func:`invoke_agent_stream` for asyncio: ``async for`` the answer's chunks.",
)
ainvoke_agent = athen(
    ainvoke_agent_stream,
    AsyncAgentStream.result,
    "ainvoke_agent",
    """:func:`invoke_agent` for asyncio: the whole answer, session id, citations and trace.

    >>> answer = await ainvoke_agent("What is our refund policy?")   # doctest: +SKIP
    """,
)
