"""``BedrockEmulator``: the public face of the local Bedrock/STS emulator."""

from __future__ import annotations

import logging
import shutil
import ssl
import tempfile
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bedrock_auth._delegate import Delegated, SettableDelegated

from .catalog import INFERENCE_PROFILE, ON_DEMAND, FoundationModel
from .faults import Fault, default_message, default_status
from .ids import drawing_from
from .limits import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_HEADER_BYTES,
    DEFAULT_MAX_NESTING,
    DEFAULT_MAX_SEED_BYTES,
    Limits,
)
from .mantle import MantleListener
from .routing import service_of
from .script import Citation, RecordedRequest, Reply, ToolUse
from .seedfile import read_seed
from .server import EmulatorHTTPServer
from .state import EmulatorState

if TYPE_CHECKING:
    from botocore.config import Config

    from bedrock_auth.manager import BedrockClientManager

logger = logging.getLogger("bedrock_auth.testing")

#: Access key id the emulator hands out in ``env()``/``manager()`` (not a real key).
TEST_ACCESS_KEY_ID = "AKIAEMULATOR00000000"
#: Matching fake secret. Only Bedrock API keys minted from it have their signature checked.
TEST_SECRET_ACCESS_KEY = "emulator/secret/key/not/a/real/one/00000"
#: Account id of every identity the emulator reports.
DEFAULT_ACCOUNT_ID = "123456789012"

#: The services one emulator serves; their AWS_ENDPOINT_URL_<SERVICE> names derive from these.
SERVICES = ("bedrock-runtime", "bedrock-agent-runtime", "bedrock", "sts")
_ENDPOINT_VARIABLES = tuple(
    "AWS_ENDPOINT_URL_" + service.replace("-", "_").upper() for service in SERVICES
)
#: Where the library (not botocore: Mantle has no botocore model) reads Mantle's endpoint.
MANTLE_ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_BEDROCK_MANTLE"
# Options that pick their own credentials, so the emulator's test keys must not be added.
_OWN_CREDENTIALS = (
    "api_key",
    "profile",
    "web_identity_token_file",
    "access_key_id",
    "credential_provider",
)


class EmulatorStartError(OSError):
    """The emulator could not listen on the requested address (e.g. the port is taken)."""


def _tool_use(value: ToolUse | Mapping[str, Any] | None) -> ToolUse | None:
    if value is None or isinstance(value, ToolUse):
        return value
    name, arguments = value.get("name"), value.get("input", {})
    if not isinstance(name, str) or not isinstance(arguments, Mapping):
        raise ValueError('tool_use needs {"name": str, "input": dict}')
    tool_id = value.get("toolUseId") or value.get("id")
    return ToolUse(name, dict(arguments), tool_id) if tool_id else ToolUse(name, dict(arguments))


def _citation(value: Citation | Mapping[str, str]) -> Citation:
    if isinstance(value, Citation):
        return value
    return Citation(uri=value["uri"], text=value.get("text", ""))


def _describe(reply: Reply) -> str:
    what = repr(reply.text) if reply.text is not None else f"tool call {reply.tool_use!r}"
    return f"{what} (model={reply.model})" if reply.model else what


class BedrockEmulator:
    """A local server speaking bedrock-runtime, bedrock-agent-runtime, bedrock and STS, and
    Bedrock's OpenAI-compatible APIs and Anthropic's Messages API on runtime (``/openai/v1``,
    ``/anthropic/v1``) and on a Mantle listener (:attr:`mantle_url`).

    Use as a context manager (or ``start()``/``stop()``). Point clients at ``endpoint_url``;
    script answers with :meth:`reply`, failures with :meth:`fail`, and read what arrived in
    :attr:`requests`. Without scripting, models answer ``"Emulated reply to: <prompt>"``.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool = False,
        region: str = "us-east-1",
        account_id: str = DEFAULT_ACCOUNT_ID,
        access_key_id: str = TEST_ACCESS_KEY_ID,
        secret_access_key: str = TEST_SECRET_ACCESS_KEY,
        strict_models: bool = False,
        assume_role_duration: int | None = None,
        clock_skew: float = 0.0,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        max_seed_bytes: int = DEFAULT_MAX_SEED_BYTES,
        max_nesting: int = DEFAULT_MAX_NESTING,
        random_seed: int | None = None,
    ) -> None:
        """Configure (but do not start) an emulator.

        ``port=0`` picks a free port. ``tls=True`` serves https with a certificate made at start
        (trust it via :attr:`ca_bundle`); Bedrock API keys need it. ``strict_models`` makes runtime
        calls fail as Bedrock does for unknown ids and for models that need an inference profile.
        ``assume_role_duration`` overrides every AssumeRole's DurationSeconds, to test credential
        refresh. ``clock_skew`` sets the emulated AWS clock ahead (:attr:`clock_skew`);
        ``random_seed`` makes the answers repeatable (:attr:`random_seed`).

        The ``max_*`` and ``idle_timeout`` limits (:attr:`limits`, described on ``Limits``)
        keep one client from exhausting the emulator; the defaults are at or above Bedrock's.
        """
        self.host = host
        self.tls = tls
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self._requested_port = port
        self._state = EmulatorState(
            region=region,
            account_id=account_id,
            strict_models=strict_models,
            assume_role_duration=assume_role_duration,
            clock_skew=clock_skew,
            limits=Limits(
                max_body_bytes=max_body_bytes,
                max_header_bytes=max_header_bytes,
                idle_timeout=idle_timeout,
                max_connections=max_connections,
                max_seed_bytes=max_seed_bytes,
                max_nesting=max_nesting,
            ),
            random_seed=random_seed,
        )
        self._state.api_keys.add_iam_key(access_key_id, secret_access_key)
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._mantle: MantleListener | None = None
        self._cert_dir: Path | None = None
        self._ca_bundle: str | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> BedrockEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.endpoint_url if self.running else "not started"
        return f"BedrockEmulator({where}, region={self.region!r}, tls={self.tls})"

    @property
    def running(self) -> bool:
        """True between start() and stop()."""
        return self._server is not None

    def start(self) -> BedrockEmulator:
        """Bind, then serve in a background thread. Returns self."""
        if self._server is not None:
            raise RuntimeError("BedrockEmulator is already running")
        self._state.delays.start()
        context = self._tls_context() if self.tls else None
        try:
            server = EmulatorHTTPServer((self.host, self._requested_port), self._state, context)
        except OSError as exc:
            self._remove_certificates()
            raise EmulatorStartError(
                exc.errno,
                f"BedrockEmulator cannot listen on {self.host}:{self._requested_port}"
                f" ({exc.strerror}); another process may be using that port, or pass port=0 "
                "to pick a free one",
            ) from exc
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            # stop() waits up to one poll interval for serve_forever to notice; 5 ms keeps a
            # function-scoped fixture cheap at a negligible idle cost.
            kwargs={"poll_interval": 0.005},
            name=f"bedrock-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        self._mantle = MantleListener(self.host, self._state, context)
        logger.info(
            "BedrockEmulator listening on %s (bedrock-mantle on %s)",
            self.endpoint_url,
            self.mantle_url,
        )
        return self

    def stop(self) -> None:
        """Stop serving: in-flight requests are cut off, open connections closed."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._state.delays.stop()  # wakes handlers sleeping on an injected delay
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        if self._mantle is not None:
            self._mantle.stop()
        self._server = self._thread = self._mantle = None
        self._remove_certificates()
        logger.info("BedrockEmulator stopped")

    def _tls_context(self) -> ssl.SSLContext:
        try:
            from .tls import write_certificates
        except ImportError as exc:
            raise RuntimeError(
                "BedrockEmulator(tls=True) needs the 'cryptography' package "
                "(pip install cryptography)"
            ) from exc
        self._cert_dir = Path(tempfile.mkdtemp(prefix="bedrock-emulator-"))
        files = write_certificates(self._cert_dir)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(files.cert_chain, files.private_key)
        self._ca_bundle = str(files.ca_bundle)
        return context

    def _remove_certificates(self) -> None:
        if self._cert_dir is not None:
            shutil.rmtree(self._cert_dir, ignore_errors=True)
        self._cert_dir = None
        self._ca_bundle = None

    # -- addresses ---------------------------------------------------------------------------

    def _running_server(self) -> EmulatorHTTPServer:
        if self._server is None:
            raise RuntimeError("BedrockEmulator is not running; call start() or use `with`")
        return self._server

    @property
    def port(self) -> int:
        """The port actually bound (useful with ``port=0``)."""
        return int(self._running_server().server_address[1])

    @property
    def endpoint_url(self) -> str:
        """``http(s)://127.0.0.1:PORT``: one endpoint for every emulated service."""
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def mantle_url(self) -> str:
        """``http(s)://127.0.0.1:PORT2``: bedrock-mantle's OpenAI-compatible APIs (``/v1``,
        ``/openai/v1``) and Anthropic's Messages API (``/anthropic/v1``), on a port of their own
        (real Mantle is another host)."""
        if self._mantle is None:
            raise RuntimeError("BedrockEmulator is not running; call start() or use `with`")
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self._mantle.port}"

    @property
    def api_key(self) -> str:
        """A long-term Bedrock API key of this emulator's: accepted as a bearer token by every
        Bedrock API it serves (short-term keys minted from its credentials are too)."""
        return self._state.api_keys.static_key

    @property
    def ca_bundle(self) -> str | None:
        """Path of the CA certificate to trust in TLS mode (``verify=`` / ``AWS_CA_BUNDLE``)."""
        return self._ca_bundle

    @property
    def random_seed(self) -> int | None:
        """The seed every id in the answers is drawn from (request, message, response,
        tool-use and trace ids, issued STS credentials), or None: fresh random ids.

        Two emulators with the same seed answer the same requests, sent in the same order, with
        the same bytes, apart from what the clock decides (``Date``, latencies, expirations).
        Setting it restarts the sequence, so set it before the requests that should repeat.
        """
        return self._state.ids.seed

    @random_seed.setter
    def random_seed(self, seed: int | None) -> None:
        self._state.reseed(seed)

    region = SettableDelegated[str](
        "_state", "Region assumed when a request does not say (unsigned or bearer over 127.0.0.1)."
    )
    limits = Delegated[Limits](
        "_state", "The bounds this emulator enforces (``max_body_bytes``, ``idle_timeout``, ...)."
    )
    account_id = Delegated[str]("_state", "The AWS account id every emulated identity belongs to.")
    assume_role_duration = SettableDelegated[int | None](
        "_state", "When set, the lifetime (seconds) of every credential AssumeRole hands out."
    )
    clock_skew = SettableDelegated[float](
        "_state",
        """Seconds the emulated AWS clock runs ahead of this machine's (negative: behind).

        The ``Date`` header, the expiry of issued credentials and the check of each SigV4
        request's signing time (within 5 minutes; STS 15, as on AWS) all use that clock, so a
        skewed machine gets AWS's ``Signature expired`` errors.
        """,
    )

    # -- scripting ---------------------------------------------------------------------------

    def reply(
        self,
        text: str | None = None,
        *,
        model: str | None = None,
        tool_use: ToolUse | Mapping[str, Any] | None = None,
        stop_reason: str | None = None,
        citations: Sequence[Citation | Mapping[str, str]] = (),
    ) -> None:
        """Queue the next answer (FIFO). ``model`` limits it to calls for that model id
        (a geo-prefixed or ARN form of it matches too) or, for InvokeAgent, that agent id.

        ``tool_use={"name": ..., "input": {...}}`` makes the model call a tool (stop reason
        ``tool_use``); ``citations=[{"uri": "s3://...", "text": ...}]`` adds InvokeAgent
        attribution. Streaming APIs split ``text`` into one chunk per word.
        """
        with drawing_from(self._state.ids):  # a tool call without an id gets a seeded one
            tool = _tool_use(tool_use)
        self._state.script.append(
            Reply(
                text,
                tool,
                stop_reason,
                model,
                tuple(_citation(c) for c in citations),
            )
        )

    def fail(
        self,
        code: str | None = "ThrottlingException",
        *,
        status: int | None = None,
        times: int | None = 1,
        region: str | None = None,
        operation: str | None = None,
        service: str | None = None,
        model: str | None = None,
        after_chunks: int | None = None,
        delay: float | None = None,
        drop_connection: bool = False,
        message: str | None = None,
    ) -> None:
        """Make the next ``times`` matching calls fail (``times=None``: until :meth:`clear`).

        By default faults hit bedrock-runtime and bedrock-agent-runtime calls only; pass
        ``operation=`` (e.g. ``"GetCallerIdentity"``) or ``service=`` (``"sts"``,
        ``"bedrock"``) to aim elsewhere, ``region=``/``model=`` to narrow further.
        ``status`` defaults to the code's HTTP status in botocore's model of the service.
        ``after_chunks=N`` lets a stream send N events, then fails it with an exception event
        (streaming calls only).
        ``delay`` waits that many seconds first (``code=None`` + ``delay``: answer normally,
        late). ``drop_connection`` closes the socket without any response.
        """
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 (or None for every call)")
        fault = Fault(
            code,
            status or self._default_status(code, service, operation),
            message or (default_message(code) if code else ""),
            region,
            operation,
            service,
            model,
            after_chunks,
            delay,
            drop_connection,
        )
        self._state.faults.arm(fault, times)

    def seed(self, source: str | Path | Mapping[str, Any]) -> None:
        """Queue scripted replies and faults from a mapping or a JSON/YAML file (YAML needs
        PyYAML): ``{"replies": [{...}], "faults": [{...}]}``, each entry holding the keyword
        arguments of :meth:`reply` or :meth:`fail`, and optionally ``"random_seed": N`` (see
        :attr:`random_seed`). Lets a non-Python suite script a
        standalone emulator (``bedrock-auth emulator --seed FILE``)."""
        data = source if isinstance(source, Mapping) else read_seed(Path(source), self.limits)
        unknown = set(data) - {"replies", "faults", "random_seed"}
        if unknown:
            raise ValueError(
                f"seed has unknown keys {sorted(unknown)}; use replies, faults, random_seed"
            )
        if "random_seed" in data:
            self.random_seed = data["random_seed"]
        for reply in data.get("replies", []):
            self.reply(**reply)
        for fault in data.get("faults", []):
            self.fail(**fault)

    @staticmethod
    def _default_status(code: str | None, service: str | None, operation: str | None) -> int:
        if code is None:  # a delay or a dropped connection: no error status
            return 200
        return default_status(code, service or service_of(operation or ""))

    def reject_keys(self, keys: Iterable[str]) -> None:
        """Treat these access key ids (or API keys) as invalid: UnrecognizedClientException on
        Bedrock, InvalidClientTokenId on STS. Only digests are kept."""
        self._state.identities.reject(list(keys))

    def set_identity(self, access_key_id: str, arn: str) -> None:
        """Make GetCallerIdentity report ``arn`` (and its account) for this access key."""
        self._state.identities.set_identity(access_key_id, arn)

    def add_inference_profile(
        self, arn_or_id: str, model_id: str, *, name: str | None = None, region: str | None = None
    ) -> str:
        """Register an application inference profile routing to ``model_id``; returns its ARN.

        Give the full ``arn:aws:bedrock:REGION:ACCOUNT:application-inference-profile/ID`` or
        just the ID (the ARN is then built from ``region`` or the emulator's region).
        """
        return self._state.registry.add_application_profile(
            arn_or_id, model_id, region or self.region, name
        )

    def add_foundation_model(
        self,
        model_id: str,
        *,
        name: str | None = None,
        provider: str | None = None,
        requires_profile: bool = False,
    ) -> None:
        """Add a foundation model to ListFoundationModels (and strict-mode checks)."""
        types = (INFERENCE_PROFILE,) if requires_profile else (ON_DEMAND, INFERENCE_PROFILE)
        vendor = provider or model_id.split(".", 1)[0].title()
        self._state.registry.add_model(FoundationModel(model_id, name or model_id, vendor, types))

    def set_model_lifecycle(
        self,
        model_id: str,
        status: str = "LEGACY",
        *,
        legacy_since: str | None = None,
        end_of_life: str | None = None,
    ) -> None:
        """Set what ListFoundationModels says of a model's lifecycle: ``ACTIVE`` or ``LEGACY``,
        with ``legacy_since``/``end_of_life`` dates as ``"YYYY-MM-DD"``."""
        if status not in ("ACTIVE", "LEGACY"):
            raise ValueError(f"status must be 'ACTIVE' or 'LEGACY', not {status!r}")
        self._state.registry.set_lifecycle(model_id, status, legacy_since, end_of_life)

    def set_inference_profiles(
        self, model_id: str, prefixes: Iterable[str], *, region: str | None = None
    ) -> None:
        """Make exactly the system profiles ``<prefix>.<model_id>`` callable from ``region``
        (default: the emulator's): ``set_inference_profiles(m, ["jp"], region="ap-northeast-1")``
        leaves Tokyo only the ``jp.`` profile; ``[]`` none. Listings, GetInferenceProfile and
        strict-mode checks all follow."""
        self._state.registry.set_profile_prefixes(model_id, region or self.region, tuple(prefixes))

    # -- inspection --------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far (secrets masked), oldest first."""
        return self._state.log.snapshot()

    def assert_all_replies_used(self) -> None:
        """Fail (``AssertionError``) if a scripted reply was never taken: the code under test
        made fewer calls than the test scripted, or called another model."""
        unused = self._state.script.snapshot()
        if unused:
            described = ", ".join(_describe(reply) for reply in unused)
            raise AssertionError(f"{len(unused)} scripted reply(ies) never used: {described}")

    def clear(self) -> None:
        """Forget recorded requests, queued replies, armed faults and cached prompts, and end
        the injected delays in progress (those calls then carry on as scripted)."""
        self._state.log.clear()
        self._state.script.clear()
        self._state.faults.clear()
        self._state.prompt_cache.clear()
        self._state.delays.release()

    # -- wiring ------------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        """Environment variables that point the AWS SDK (and bedrock_auth) at this emulator."""
        url = self.endpoint_url
        env = dict.fromkeys(_ENDPOINT_VARIABLES, url)
        env[MANTLE_ENDPOINT_VARIABLE] = self.mantle_url
        env.update(
            {
                "AWS_ACCESS_KEY_ID": self.access_key_id,
                "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
                "AWS_REGION": self.region,
                "AWS_DEFAULT_REGION": self.region,
            }
        )
        if self._ca_bundle:
            env["AWS_CA_BUNDLE"] = self._ca_bundle
        return env

    def client(
        self,
        service_name: str = "bedrock-runtime",
        *,
        region: str | None = None,
        config: Config | None = None,
        **kwargs: Any,
    ) -> Any:
        """A boto3 client for ``service_name`` wired to this emulator with the test keys.

        It signs with SigV4 even when ``AWS_BEARER_TOKEN_BEDROCK`` is set (botocore would
        otherwise switch to the bearer token); ``config`` is merged over that default.
        """
        import boto3
        from botocore.config import Config

        sigv4 = Config(signature_version="v4")
        options: dict[str, Any] = {
            "config": sigv4.merge(config) if config is not None else sigv4,
            "region_name": region or self.region,
            "endpoint_url": self.endpoint_url,
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
        }
        if self._ca_bundle:
            options["verify"] = self._ca_bundle
        options.update(kwargs)
        from botocore.exceptions import ProfileNotFound

        try:
            return boto3.client(service_name, **options)
        except ProfileNotFound as exc:  # AWS_PROFILE names a missing profile: said as the
            from bedrock_auth._translate import translate_error  # library says it

            raise translate_error(exc) from exc

    def endpoints(self) -> dict[str, str]:
        """``endpoint_url=`` for a manager: every service this emulator serves, by name."""
        return dict.fromkeys(SERVICES, self.endpoint_url)

    def manager(self, **kwargs: Any) -> BedrockClientManager:
        """A ``bedrock_auth.BedrockClientManager`` wired to this emulator, without touching
        ``os.environ``. Keyword arguments override the defaults (endpoint, test keys, region,
        CA bundle, ``load_dotenv=False``); passing ``api_key``/``profile`` drops the test keys.
        """
        from bedrock_auth.manager import BedrockClientManager

        options: dict[str, Any] = {
            "endpoint_url": self.endpoints(),
            "mantle_endpoint_url": self.mantle_url,
            "region": self.region,
            "load_dotenv": False,
        }
        if not any(k in kwargs for k in _OWN_CREDENTIALS):
            options.update(
                access_key_id=self.access_key_id, secret_access_key=self.secret_access_key
            )
        if self._ca_bundle:
            options["verify"] = self._ca_bundle
        options.update(kwargs)
        return BedrockClientManager(**options)
