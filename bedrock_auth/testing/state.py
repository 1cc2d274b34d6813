"""The state one emulator shares between its public object and its handler threads."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .auth import AuthInfo
from .bearer import ApiKeys
from .catalog import load_models
from .faults import Delays, Faults
from .features import CacheUsage
from .identity import IdentityStore
from .ids import IdSource
from .limits import Limits
from .registry import ModelRegistry
from .routing import Route
from .script import CallKey, Reply, RequestLog, Script


class PromptCache:
    """The prompts Bedrock would have cached: what was written before is read now.

    Keys are (model, digest of everything before a cache point). A call reads the longest
    cached prefix it has and writes its last cache point's prefix when that is new, as
    Bedrock's prompt caching does (minus the minimum cacheable length: every prefix counts).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._prefixes: set[tuple[str, str]] = set()

    def use(self, model: str, points: tuple[tuple[str, int], ...]) -> CacheUsage:
        """Read and write ``points`` ((digest, tokens) per cache point) for one call."""
        if not points:
            return CacheUsage()
        with self._lock:
            read = max((n for d, n in points if (model, d) in self._prefixes), default=0)
            last_digest, last_tokens = points[-1]
            fresh = (model, last_digest) not in self._prefixes
            self._prefixes.update((model, d) for d, _n in points)
        return CacheUsage(read=read, write=max(0, last_tokens - read) if fresh else 0)

    def clear(self) -> None:
        with self._lock:
            self._prefixes.clear()


class EmulatorState:
    """Configuration plus the mutable stores (script, faults, log, identities, models)."""

    def __init__(
        self,
        *,
        region: str,
        account_id: str,
        strict_models: bool,
        assume_role_duration: int | None,
        clock_skew: float = 0.0,
        limits: Limits | None = None,
        random_seed: int | None = None,
    ) -> None:
        self.region = region
        self.account_id = account_id
        self.strict_models = strict_models
        self.assume_role_duration = assume_role_duration
        self.clock_skew = clock_skew
        self.limits = limits or Limits()
        self.script = Script()
        self.faults = Faults()
        self.log = RequestLog()
        self.identities = IdentityStore(account_id, clock=self.now)
        self.api_keys = ApiKeys(self.identities, self.now)
        self.registry = ModelRegistry(account_id, load_models())
        self.prompt_cache = PromptCache()
        self.delays = Delays()
        self.ids = IdSource()
        self.reseed(random_seed)

    def reseed(self, random_seed: int | None) -> None:
        """Draw ids from ``random.Random(random_seed)`` from now on (None: fresh random ids)."""
        self.ids = IdSource(random_seed)
        if random_seed is not None:
            # Issued STS secrets are keyed from the seed too, so their answers repeat as well.
            self.identities.secret_seed = self.ids.bytes(32)

    def now(self) -> float:
        """The emulated AWS clock: this machine's, shifted by ``clock_skew`` seconds."""
        return time.time() + self.clock_skew


@dataclass
class Call:
    """One routed, authenticated request as a handler sees it (headers lower-cased, masked)."""

    state: EmulatorState
    route: Route
    region: str
    auth: AuthInfo
    headers: dict[str, str]
    query: dict[str, str]
    body: Any
    key: CallKey
    started: float
    _reply_taken: bool = field(default=False, repr=False)

    @property
    def model_id(self) -> str:
        """The model (or agent) id from the path, already percent-decoded."""
        return self.route.model_id or ""

    def take_reply(self) -> Reply | None:
        """The scripted reply for this call, if one is queued (taken at most once)."""
        if self._reply_taken:
            return None
        self._reply_taken = True
        return self.state.script.take_reply(self.key)
