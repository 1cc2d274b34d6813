"""Failure paths, round two, the rest (issue 22): a hung control plane costs one short, bounded
wait and never stalls an event loop; a Bedrock API key never goes over plain http; a cancelled
async read frees its thread and connection at once.

Over real sockets: the emulator (plain http, and its TLS mode), holding replies back with an
injected delay that ``emu.clear()`` ends (see ``HOLD``).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from test_async import HELD, OPENERS, _cancel_after_first, least_lag, run_ticking

from bedrock_auth import (
    BedrockAuthError,
    BedrockClientManager,
    ConfigurationError,
    aconverse,
    get_anthropic_client,
    get_llm,
    invoke_model,
)
from bedrock_auth._catalog import LISTING_TIMEOUT
from bedrock_auth.testing import BedrockEmulator

T = TypeVar("T")

#: A hold on the emulator's replies: ended by emu.clear(), never waited out.
HOLD = 120.0
#: A model id newer than the library's table: resolving it asks the live listing.
FUTURE_CLAUDE = "anthropic.claude-some-future-model-v1"
FUTURE_NOVA = "amazon.nova-some-future-model-v1:0"
ARN = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/team-a"
HI = [{"role": "user", "content": "hi"}]
# A bounded control-plane call ends within LISTING_TIMEOUT (2 s) to connect and as long to read,
# in one attempt; before, GetInferenceProfile waited the manager's read_timeout (300 s) up to
# four times, and here HOLD (120 s). 30 s sits far from both, so a loaded machine cannot fail it.
BOUND = 30.0


@pytest.fixture
def held(emu: BedrockEmulator) -> Iterator[BedrockEmulator]:
    """The module's emulator, cleared before and after: a hold left armed would stall the next
    test, and clearing ends the holds still in progress."""
    emu.clear()
    yield emu
    emu.clear()


def within(seconds: float, work: Callable[[], T]) -> T:
    """``work()``'s result (or exception), failing the test if it takes ``seconds`` or more.

    The work runs on a thread of its own, so that a call held by the emulator fails the test
    at the bound instead of hanging it; the fixture's ``emu.clear()`` then lets it finish.
    """
    pool = ThreadPoolExecutor(1)
    try:
        return pool.submit(work).result(timeout=seconds)
    finally:
        pool.shutdown(wait=False)


def arrived(emu: BedrockEmulator, operation: str) -> set[str]:
    """The regions from which ``operation`` has reached the emulator so far."""
    return {r.region for r in emu.requests if r.operation == operation}


# -- 1. the async Anthropic client never resolves on the loop ---------------------------------

# A loop that resolved the model itself would stall for the listing's whole timeout
# (LISTING_TIMEOUT, 2 s); a free one lags a few ms. Half the timeout sits far from both.
MAX_LAG = LISTING_TIMEOUT / 2


def test_the_async_anthropic_client_asks_the_listing_off_the_loop(
    held: BedrockEmulator,
) -> None:
    held.fail(None, service="bedrock", delay=HOLD, times=None)  # a hung control plane
    listed: list[set[str]] = []

    def run() -> tuple[Any, float, float]:
        # A new manager each run: its listing is not made yet, so this run makes it.
        client = get_anthropic_client(manager=held.manager(), async_=True, max_retries=0)

        async def call() -> Any:
            return await client.messages.create(model=FUTURE_CLAUDE, max_tokens=20, messages=HI)

        outcome = run_ticking(call)
        listed.append(arrived(held, "ListFoundationModels"))
        return outcome

    reply, _, lag = least_lag(run, MAX_LAG)
    assert listed[-1] == {held.region}  # the listing was asked (and hung) in this run
    assert reply.content[0].text == "Emulated reply to: hi"  # the table answered after it
    assert lag < MAX_LAG, f"the event loop stalled {lag * 1000:.0f} ms"


# -- 2. control-plane calls: short and bounded, fallback regions listed at once ----------------


@pytest.mark.parametrize("entry", ["invoke_model", "get_llm"])
def test_a_hung_get_inference_profile_is_a_typed_error_within_the_bound(
    held: BedrockEmulator, entry: str
) -> None:
    held.add_inference_profile(ARN, "amazon.nova-lite-v1:0")
    held.fail(None, operation="GetInferenceProfile", delay=HOLD, times=None)
    manager = held.manager()  # the default read_timeout and retries: not the control plane's
    calls: dict[str, Callable[[], object]] = {
        "invoke_model": lambda: invoke_model(ARN, {"prompt": "hi"}, manager=manager),
        "get_llm": lambda: get_llm(ARN, manager=manager),
    }
    started = time.monotonic()
    with pytest.raises(BedrockAuthError, match="GetInferenceProfile") as raised:
        within(BOUND, calls[entry])
    assert time.monotonic() - started < BOUND
    assert arrived(held, "GetInferenceProfile") == {held.region}  # one attempt, not four
    assert len([r for r in held.requests if r.operation == "GetInferenceProfile"]) == 1
    assert raised.value.__cause__ is not None  # botocore's timeout, kept as the cause
    # The fix is the control plane's network path; its timeout is not the user's to raise.
    assert "com.amazonaws.<region>.bedrock)" in str(raised.value)
    assert "BEDROCK_READ_TIMEOUT" not in str(raised.value)


def test_fallback_regions_are_listed_at_once(held: BedrockEmulator) -> None:
    """Every region's listing is held until all of them have arrived, then answered. Listed
    one after the other, a region's listing would only be sent once the one before had
    timed out (LISTING_TIMEOUT): all but the last would fail. Listed at once, they arrive
    within milliseconds and all succeed: no timing is asserted (the listings only need to be
    answered within LISTING_TIMEOUT of being sent, 2 s against a 10 ms poll)."""
    regions = ["us-east-1", "us-west-2", "eu-west-1"]
    held.add_foundation_model(FUTURE_NOVA)  # listed in every region
    held.fail(None, operation="ListFoundationModels", delay=HOLD, times=None)
    manager = held.manager()
    for region in regions:  # made here, so that only the listings themselves are in the window
        manager._listing_client(region)
    pool = ThreadPoolExecutor(1)
    building = pool.submit(
        get_llm, FUTURE_NOVA, region=regions[0], fallback_regions=regions[1:], manager=manager
    )
    try:
        deadline = time.monotonic() + BOUND
        while arrived(held, "ListFoundationModels") != set(regions):
            assert time.monotonic() < deadline and not building.done(), (
                f"listings arrived from {sorted(arrived(held, 'ListFoundationModels'))} only"
            )
            time.sleep(0.01)
        held.clear()  # every region's listing is in flight: answer them all
        model = building.result(timeout=BOUND)
    finally:
        held.clear()
        pool.shutdown(wait=False)
    assert {region: manager.catalog.failure(region) for region in regions} == dict.fromkeys(
        regions
    )
    assert model.model_id == FUTURE_NOVA


# -- 3. a bearer token never goes over plain http ---------------------------------------------


def test_the_anthropic_client_refuses_an_api_key_over_plain_http(held: BedrockEmulator) -> None:
    manager = held.manager(api_key=held.api_key)  # the emulator serves plain http here
    before = len(held.requests)
    for async_ in (False, True):
        with pytest.raises(ConfigurationError, match="never sent over plain http") as raised:
            get_anthropic_client(manager=manager, async_=async_)
        assert held.api_key not in str(raised.value) and "***" not in str(raised.value)
    assert held.requests[before:] == []  # refused before anything was sent


def test_the_anthropic_client_sends_an_api_key_over_https() -> None:
    with BedrockEmulator(tls=True) as tls, tls.manager(api_key=tls.api_key) as manager:
        client = get_anthropic_client(manager=manager, max_retries=0)
        reply = client.messages.create(model="claude-haiku-4-5", max_tokens=20, messages=HI)
        assert reply.content[0].text == "Emulated reply to: hi"
        assert [r.auth_scheme for r in tls.requests if r.operation == "InvokeModel"] == ["bearer"]
        # A copy pointed at plain http is refused the same way.
        with pytest.raises(ConfigurationError, match="never sent over plain http"):
            client.with_options(base_url=tls.endpoint_url.replace("https:", "http:"))


# -- 4. a cancelled async read frees its thread and connection at once ------------------------

POOL = 2  # max_pool_connections: the manager's executor has as many threads
# The held streams are cancelled while their reads wait on the server. Freed at once, the
# threads serve the next call in milliseconds; kept, they would wait for HOLD or read_timeout
# (both 120 s). 30 s sits far from both.
READ_TIMEOUT = 120.0


def _all_threads_free(manager: BedrockClientManager) -> bool:
    """Whether every executor thread takes work now: POOL tasks meet at a barrier with this
    thread, which only works when none of the threads is still held by a read."""
    barrier = threading.Barrier(POOL + 1)
    for _ in range(POOL):
        manager.executor().submit(barrier.wait, BOUND)
    try:
        barrier.wait(BOUND)
    except threading.BrokenBarrierError:
        return False
    return True


@pytest.mark.parametrize("name", OPENERS)
def test_cancelled_streams_free_their_threads_at_once(held: BedrockEmulator, name: str) -> None:
    manager = held.manager(max_pool_connections=POOL, read_timeout=READ_TIMEOUT, max_retries=0)

    async def cancel_then_call() -> str:
        for index in range(POOL):
            held.reply(" ".join(["word"] * 300))
            held.fail(None, after_chunks=HELD["blocked"], delay=HOLD)
            # Cancelled once the read waits on the held stream, in recv.
            await _cancel_after_first(await OPENERS[name](manager, f"held {index}"), 0.05)
        reply = await asyncio.wait_for(aconverse("nova-lite", "next", manager=manager), BOUND)
        return reply.text

    try:
        assert asyncio.run(cancel_then_call()) == "Emulated reply to: next"
        assert _all_threads_free(manager)
    finally:
        held.clear()
        manager.close()

