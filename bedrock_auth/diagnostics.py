"""`check()`: doctor's steps as an API, from settings to a one-token model call.

Each step says what it found, or why it failed and how to fix it. A step runs only when the
steps it depends on passed, so one root cause gives one failure, not a cascade. ``check()``
never raises for a failed step: it returns a :class:`Report`, the object
``bedrock-auth doctor --json`` prints.

>>> from bedrock_auth.testing import BedrockEmulator
>>> with BedrockEmulator() as emu:
...     report = check("nova-lite", manager=emu.manager())
>>> report.ok, report.exit_code
(True, 0)
>>> [step.name for step in report.steps][:4]
['settings', 'region', 'credentials', 'identity']

The steps, in order (a step is left out when one it needs failed):

``settings``, ``region``, ``credentials``, ``base identity`` and ``role`` (roles only),
``identity``, ``endpoint <service>`` for bedrock-runtime, bedrock, bedrock-agent-runtime and sts,
``model id``, ``model access``, ``agent``.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from botocore import UNSIGNED
from botocore.config import Config

from bedrock_auth._doctor_fixes import api_key_not_opted_in, local_problem, region_fix
from bedrock_auth._failures import EXIT_CODES, failure_class
from bedrock_auth._probes import address_kind, configured_sources, resolve_host
from bedrock_auth._redact import redact
from bedrock_auth._translate import ErrorContext, cause_of, translate_error
from bedrock_auth.credentials import chain_sources, endpoint_for
from bedrock_auth.errors import (
    AccessDeniedError,
    BedrockAuthError,
    ConfigurationError,
    CredentialsNotFoundError,
    EndpointUnreachableError,
)
from bedrock_auth.manager import (
    AuthOptions,
    BedrockClientManager,
    credential_config_for,
    mask_key_id,
)
from bedrock_auth.models import resolve_model_id
from bedrock_auth.policy import model_resources
from bedrock_auth.regions import known_regions
from bedrock_auth.settings import (
    BEARER_ENV,
    DEFAULT_REGION,
    AuthConfig,
    Settings,
    make_config,
    resolve_settings,
    session_for,
)
from bedrock_auth.sources import AUTH_MODE_ENV, SOURCE_NAMES, CredentialSource

if TYPE_CHECKING:
    import botocore.session
    from botocore.credentials import Credentials
    from typing_extensions import Unpack


__all__ = ["EXIT_CODES", "CheckOptions", "Report", "Step", "acheck", "check"]


#: How the detail of a step that had nothing to check starts.
SKIPPED = "skipped: "


@dataclass(frozen=True)
class Step:
    """One step of the check: what was checked, whether it passed, what was found.

    A failed step names the error class and says how to fix it; ``fix`` is ``None`` on success.
    """

    name: str
    ok: bool
    detail: str
    error_class: str | None = None
    fix: str | None = None

    @property
    def skipped(self) -> bool:
        """True for a step that passed because it had nothing to check."""
        return self.ok and self.detail.startswith(SKIPPED)

    def to_dict(self) -> dict[str, Any]:
        """The step as JSON-ready data."""
        return asdict(self)


@dataclass(frozen=True)
class Report:
    """Every step that ran, the overall result, and warnings (what overrides what, ...).

    ``exit_code`` is the code of the first failed step's error class (:data:`EXIT_CODES`),
    0 when every step passed.
    """

    ok: bool
    exit_code: int
    steps: tuple[Step, ...]
    warnings: tuple[str, ...] = ()

    @property
    def model_checked(self) -> bool:
        """True when a model answered doctor's one-token call. ``ok`` alone does not say that
        Bedrock works: with no model given (or ``invoke=False``) no model was called."""
        return any(s.name == "model access" and s.ok and not s.skipped for s in self.steps)

    def to_dict(self) -> dict[str, Any]:
        """``{ok, exit_code, model_checked, steps: [{name, ok, detail, error_class, fix}],
        warnings: [...]}``."""
        return {
            "ok": self.ok,
            "exit_code": self.exit_code,
            "model_checked": self.model_checked,
            "steps": [step.to_dict() for step in self.steps],
            "warnings": list(self.warnings),
        }


class _Failed(Exception):
    """Raised by a step that knows a better fix than the error message's own."""

    def __init__(self, error: BedrockAuthError, fix: str) -> None:
        super().__init__(str(error))
        self.error = error
        self.fix = fix


# -- the state one run shares between its steps ----------------------------------------------


@dataclass
class _Run:
    config: AuthConfig | None
    options: dict[str, Any]
    model: str | None
    agent_id: str | None
    agent_alias_id: str | None
    invoke: bool
    manager: BedrockClientManager | None = None
    openai: bool = False
    settings: Settings | None = None
    region_error: BedrockAuthError | None = None
    base_session: botocore.session.Session | None = None
    base_arn: str | None = None
    account: str | None = None
    model_id: str | None = None
    private_endpoints: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)

    @property
    def mgr(self) -> BedrockClientManager:
        assert self.manager is not None, "the settings step builds the manager"
        return self.manager

    @property
    def s(self) -> Settings:
        assert self.settings is not None, "the settings step resolves the settings"
        return self.settings

    def context(self, service: str, operation: str, model_id: str = "") -> ErrorContext:
        s = self.s
        return ErrorContext(
            service=service,
            operation=operation,
            region=s.region,
            model_id=model_id,
            # Empty means botocore's default profile; the SSO message then names "default".
            profile=s.profile or "",
            partial_env={name: s.origin_of(name) for name in s.dotenv_keys},
        )


@contextmanager
def _translating(ctx: ErrorContext) -> Iterator[None]:
    try:
        yield
    except BedrockAuthError:
        raise
    except Exception as exc:
        raise translate_error(exc, ctx) from cause_of(exc)


# -- settings and region ---------------------------------------------------------------------


def _merged_config(run: _Run) -> AuthConfig:
    given = make_config(run.options)  # rejects unknown names with a "did you mean"
    config = replace(run.config, **run.options) if run.config is not None else given
    return replace(config, validate=False)  # identity is a step of its own


def _settings(run: _Run) -> str:
    if run.manager is not None:
        run.settings = run.manager.settings
        return _describe_settings(run.s)
    config = _merged_config(run)
    try:
        run.manager = BedrockClientManager(config=config)
    except ConfigurationError as error:
        settings = _settings_if_region_alone_failed(config)
        if settings is None:
            raise
        run.settings, run.region_error = settings, error  # the region step reports it
        return _describe_settings(run.s)
    run.settings = run.manager.settings
    return _describe_settings(run.s)


def _settings_if_region_alone_failed(config: AuthConfig) -> Settings | None:
    """The settings resolved with a known-good region, if the region alone made them fail."""
    try:
        resolve_settings(config)
    except Exception:  # botocore's own errors too: resolve_settings does not translate
        try:
            return resolve_settings(replace(config, region=DEFAULT_REGION))
        except Exception:
            return None
    return None  # resolution works: what failed came later (the credential source)


def _origin(s: Settings, variable: str) -> str:
    return f"{variable}, from {s.origin_of(variable)}"


def _from(s: Settings, variable: str) -> str:
    return f"from {s.origin_of(variable)}"


def _describe_settings(s: Settings) -> str:
    """Where each setting came from; the region has a step of its own."""
    if s.profile is None:
        profile = "none (botocore's default profile)"
    elif s.profile_pinned:
        profile = f"{s.profile} (pinned: profile= / --profile, or mode=profile)"
    else:
        profile = f"{s.profile} ({_origin(s, 'AWS_PROFILE')})"
    if s.dotenv_path:
        dotenv = f"{s.dotenv_path} (set {', '.join(sorted(s.dotenv_keys)) or 'nothing new'})"
    else:
        dotenv = "none loaded"
    lines = [
        f"mode {s.mode}",
        f"profile: {profile}",
        f".env: {dotenv}",
        f"retries: {s.retry_mode}, {s.max_attempts} attempts ({s.retry_source})",
        f"timeouts: connect {s.connect_timeout:g} s, read {s.read_timeout:g} s; "
        f"STS connect {s.sts_connect_timeout:g} s, read {s.sts_read_timeout:g} s",
    ]
    return "\n".join(lines)


def _region_origin(s: Settings) -> str:
    if s.region_source in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        return _origin(s, s.region_source)
    if s.region_source == "profile":
        return f"the region of profile '{s.profile or 'default'}'"
    if s.region_source == "default":
        return "nothing set it: the library default"
    return "region= / --region"


def _region(run: _Run) -> str:
    if run.region_error is not None:
        raise _Failed(run.region_error, region_fix(run.region_error, run.s))
    s = run.s
    if s.region_source == "default":
        run.warnings.append(
            f"No region is configured (AWS_REGION, AWS_DEFAULT_REGION or the profile); "
            f"{DEFAULT_REGION} is used. Set AWS_REGION to choose one."
        )
    if s.region not in known_regions():
        run.warnings.append(
            f"{s.region} is not in the installed botocore's region list; if calls to it fail, "
            "check the name or upgrade botocore (pip install -U botocore)."
        )
    return f"{s.region} ({_region_origin(s)})"


# -- credentials and identity ----------------------------------------------------------------


def _base_session(run: _Run) -> botocore.session.Session:
    """A session holding only the credentials the role is assumed with."""
    base = run.mgr.source.base
    assert base is not None, "only a role assumed on base credentials has a base session"
    if run.base_session is None:
        session = session_for(run.s)
        base.configure(session, credential_config_for(run.s))
        run.base_session = session
    return run.base_session


def _load(run: _Run, session: botocore.session.Session, operation: str = "") -> Credentials:
    """The session's credentials, loaded: SSO tokens, credential processes, metadata calls and
    role assumptions happen here."""
    ctx = run.context("sts", operation)
    with _translating(ctx):
        credentials: Credentials | None = session.get_credentials()
    if credentials is None:
        from botocore.exceptions import NoCredentialsError

        tried = replace(ctx, sources_tried=tuple(chain_sources(session)))
        raise translate_error(NoCredentialsError(), tried)
    with _translating(ctx):
        credentials.get_frozen_credentials()
    return credentials


def _credentials(run: _Run) -> str:
    source = run.mgr.source
    unused_key = _bearer_unused(run, source)  # warned whether the credentials load or not
    described = source.describe()
    if described is not None:  # a source doctor checks in a later step, or has no keys
        return described
    # For a role, the credentials it is assumed with: the role itself is the next steps' job.
    if source.base is not None:
        base, session, prefix = source.base, _base_session(run), "base credentials for the role: "
    else:
        base, session, prefix = source, run.mgr.session, ""
    try:
        credentials = _load(run, session)
    except CredentialsNotFoundError as error:
        if unused_key:  # the user has a key, only not opted in: the one fix that applies
            raise _Failed(*api_key_not_opted_in(run.s)) from error
        raise
    method = str(getattr(credentials, "method", None) or "explicit")
    key = mask_key_id(credentials.get_frozen_credentials().access_key)
    lines = [f"{prefix}{method}: {SOURCE_NAMES.get(method, method)}; key {key}"]
    if base.IS_CHAIN:
        lines.extend(_shadowed(run, session, method))
    if unused_key:
        lines.append(f"{BEARER_ENV} is set and ignored: bedrock clients are pinned to SigV4")
    return "\n".join(lines)


def _shadowed(run: _Run, session: botocore.session.Session, winner: str) -> list[str]:
    """Sources configured after the one that answered: botocore's chain never reaches them."""
    s = run.s
    profile = configured_sources(session)
    present = set(profile.names)
    if s.env_key_names == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}:
        present.add("env")
    order = chain_sources(session)
    after = order[order.index(winner) + 1 :] if winner in order else []
    shadowed = [name for name in after if name in present]
    if not shadowed:
        return []
    names = ", ".join(SOURCE_NAMES.get(n, n) for n in shadowed)
    if winner == "env" and s.profile:
        run.warnings.append(
            f"AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY ({_from(s, 'AWS_ACCESS_KEY_ID')}) "
            f"shadow AWS_PROFILE={s.profile} ({names}): botocore's chain reads environment keys "
            f"first, so the profile is not used. To use the profile, unset both keys, or pin "
            f"it with --profile {s.profile} (profile= in code)."
        )
    else:
        run.warnings.append(
            f"{winner} answers first in botocore's chain, so what profile '{profile.profile}' "
            f"configures is not used: {names}."
        )
    return [f"also configured, not used: {names}"]


def _bearer_unused(run: _Run, source: CredentialSource) -> bool:
    """Whether ``AWS_BEARER_TOKEN_BEDROCK`` is set but not opted into; if so, warn."""
    if not run.s.bearer_env_present or source.signs_with_bearer:
        return False
    run.warnings.append(
        f"{BEARER_ENV} ({_from(run.s, BEARER_ENV)}) is set but not used: bedrock and "
        "bedrock-runtime clients are pinned to SigV4 with IAM credentials, so the key "
        f"cannot silently replace them. To use the key, set {AUTH_MODE_ENV}=api_key (or pass "
        f"api_key=); otherwise unset {BEARER_ENV}."
    )
    return True


def _base_identity(run: _Run) -> str:
    session = _base_session(run)
    with _translating(run.context("sts", "GetCallerIdentity")):
        sts = session.create_client(
            "sts",
            region_name=run.s.region,
            endpoint_url=endpoint_for(run.s.endpoint_url, "sts"),
            verify=run.s.verify,
            config=credential_config_for(run.s),
        )
        reply = sts.get_caller_identity()
    run.base_arn = str(reply["Arn"])
    return f"{reply['Arn']} (account {reply['Account']})"


def _role(run: _Run) -> str:
    operation = run.mgr.source.STS_OPERATION
    assert operation is not None, "the role step runs only for a source that assumes a role"
    try:
        credentials = _load(run, run.mgr.session, operation)
    except AccessDeniedError as error:
        raise _Failed(error, _role_denied_fix(run, str(error), operation)) from error
    key = mask_key_id(credentials.get_frozen_credentials().access_key)
    return f"{run.s.role_arn} assumed with {operation}, key {key}"


def _role_denied_fix(run: _Run, message: str, operation: str) -> str:
    own = _split_message(message)[1]
    external_id = " with this ExternalId" if run.s.external_id else ""
    # Who the trust policy must name: the base identity, or the token's OIDC provider.
    trust = {
        "AssumeRole": [
            f"The role's trust policy must also trust {run.base_arn or 'the base identity'} "
            f"for sts:AssumeRole{external_id}.",
            f"For the caller's own policy: bedrock-auth policy --assume-role {run.s.role_arn}",
        ],
        "AssumeRoleWithWebIdentity": [
            "The role's trust policy must trust the OIDC provider that issued the token, with "
            "conditions (aud, sub) that match it: check the token's claims against them.",
        ],
    }[operation]
    return "\n".join(line for line in (own.strip(), *trust) if line)


def _identity(run: _Run) -> str:
    if not run.mgr.source.has_iam_identity:
        return SKIPPED + "a Bedrock API key has no IAM identity to check"
    identity = run.mgr.validate()
    assert identity is not None
    run.account = identity.account
    key = run.mgr.auth_info()["access_key_id"]
    return f"{identity.arn} (account {identity.account}, key {key})"


# -- endpoints -------------------------------------------------------------------------------

#: The services doctor checks the endpoints of, in the order it prints them.
ENDPOINT_SERVICES = ("bedrock-runtime", "bedrock", "bedrock-agent-runtime", "sts")


def _endpoint_url(run: _Run, service: str) -> str:
    """The URL a client of the manager would call; no credentials are needed to know it."""
    with _translating(run.context(service, "")):
        client = run.mgr.session.create_client(
            service,
            region_name=run.s.region,
            endpoint_url=endpoint_for(run.s.endpoint_url, service),
            verify=run.s.verify,
            config=Config(signature_version=UNSIGNED),
        )
    return str(client.meta.endpoint_url)


def _endpoint_unused(run: _Run, service: str) -> str | None:
    """Why a Bedrock API key setup does not need ``service``'s endpoint; ``None``: it does."""
    if not run.mgr.source.signs_with_bearer:
        return None
    if service == "sts":
        return SKIPPED + "a Bedrock API key does not call STS (no IAM identity to check)"
    agent = run.agent_id or run.agent_alias_id or run.s.agent_id or run.s.agent_alias_id
    if service == "bedrock-agent-runtime" and not agent:
        return SKIPPED + "a Bedrock API key does not sign Agents calls, and no agent is given"
    return None


def _endpoint(run: _Run, service: str) -> str:
    unused = _endpoint_unused(run, service)
    if unused is not None:
        return unused
    url = _endpoint_url(run, service)
    host = urlsplit(url).hostname or url
    addresses = resolve_host(host)
    if addresses is None:
        variable = "AWS_ENDPOINT_URL_" + service.upper().replace("-", "_")
        raise _Failed(
            EndpointUnreachableError(f"{host} ({service}) does not resolve: no DNS answer."),
            f"If you set {variable} or endpoint_url=, check the host name. In a private subnet, "
            f"create a VPC interface endpoint com.amazonaws.{run.s.region}.{service} with "
            "private DNS enabled, or check the VPC's DNS resolver. Behind a proxy "
            "(HTTPS_PROXY), the proxy resolves names: check that it can reach AWS.",
        )
    kinds = sorted({address_kind(address) for address in addresses})
    if any(kind.startswith("private") for kind in kinds):
        run.private_endpoints.add(service)
    return f"{url} -> {', '.join(addresses)} ({'; '.join(kinds)})"


# -- model and agent -------------------------------------------------------------------------


def _model_id(run: _Run) -> str:
    model = run.model or run.s.model_id
    if not model:
        return SKIPPED + "no model given (pass --model or model=, or set BEDROCK_MODEL_ID)"
    origin = "--model / model=" if run.model else _origin(run.s, "BEDROCK_MODEL_ID")
    run.model_id = resolve_model_id(model, run.s.region, manager=run.mgr)
    return f"{model} ({origin}) -> {run.model_id} in {run.s.region}\n{_catalog_source(run)}"


def _catalog_source(run: _Run) -> str:
    """Which catalog answered the model step: Bedrock's listing, or the static table and why."""
    catalog, region = run.mgr.catalog, run.s.region
    if not catalog.enabled:
        return "catalog: static table (live catalog off: live_catalog=False / BEDROCK_LIVE_CATALOG)"
    why = catalog.failure(region)
    if why is None:
        return f"catalog: live, as Bedrock lists it for this account in {region}"
    return (
        f"catalog: static table (the live listing failed: {why}; it needs "
        "bedrock:ListInferenceProfiles and bedrock:ListFoundationModels, see "
        "bedrock-auth policy --list)"
    )


def _model_access(run: _Run) -> str:
    if run.model_id is None:
        return SKIPPED + "no model to call"
    if not run.invoke:
        return SKIPPED + "no call made (invoke=False / --no-invoke)"
    model_id = run.model_id
    started = time.monotonic()
    try:
        with _translating(run.context("bedrock-runtime", "Converse", model_id)):
            run.mgr.client().converse(
                modelId=model_id,
                messages=[{"role": "user", "content": [{"text": "ping"}]}],
                inferenceConfig={"maxTokens": 1},
            )
    except AccessDeniedError as error:
        raise _Failed(error, _model_denied_fix(run, str(error), model_id)) from error
    elapsed = (time.monotonic() - started) * 1000
    return f"{model_id} answered a 1-token Converse in {elapsed:.0f} ms"


def _model_denied_fix(run: _Run, message: str, model_id: str) -> str:
    own = _split_message(message)[1]
    resources = model_resources(model_id, run.s.region, run.account or "*")
    lines = [
        own.strip(),
        "Resources bedrock:InvokeModel must allow: " + ", ".join(resources),
        f"The whole policy: bedrock-auth policy --model {model_id}",
    ]
    if "bedrock-runtime" in run.private_endpoints:
        lines.append(
            "bedrock-runtime resolves to a private address (a VPC endpoint): its endpoint "
            "policy must allow bedrock:InvokeModel on these resources too."
        )
    return "\n".join(line for line in lines if line)


def _agent(run: _Run) -> str:
    agent = run.agent_id or run.s.agent_id
    alias = run.agent_alias_id or run.s.agent_alias_id
    if not (agent or alias):
        return SKIPPED + (
            "no agent given (pass --agent-id and --agent-alias-id, or set "
            "BEDROCK_AGENT_ID and BEDROCK_AGENT_ALIAS_ID)"
        )
    if not run.invoke:
        return SKIPPED + "no call made (invoke=False / --no-invoke)"
    # Imported here: the agents module is only needed when an agent is checked.
    from bedrock_auth.agents import invoke_agent

    answer = invoke_agent("ping", agent_id=agent, alias_id=alias, manager=run.mgr)
    return f"alias {alias} of agent {agent} answered in {run.s.region} ({answer.session_id})"


def _openai(run: _Run) -> str:
    from bedrock_auth._openai_check import check_openai_endpoints

    return check_openai_endpoints(run.mgr, run.model_id, run.invoke)


# -- the steps, as data ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    name: str
    run: Callable[[_Run], str]
    #: Steps that must have passed (a step that did not apply is no obstacle).
    needs: tuple[str, ...] = ()
    applies: Callable[[_Run], bool] = lambda run: True


def _with_role(run: _Run) -> bool:
    return run.mgr.source.STS_OPERATION is not None


def _with_base(run: _Run) -> bool:
    return run.mgr.source.base is not None


_STEPS: tuple[_Spec, ...] = (
    _Spec("settings", _settings),
    _Spec("region", _region, ("settings",)),
    _Spec("credentials", _credentials, ("region",)),
    _Spec("base identity", _base_identity, ("credentials",), _with_base),
    _Spec("role", _role, ("credentials", "base identity"), _with_role),
    _Spec("identity", _identity, ("credentials", "role")),
    *(
        _Spec(f"endpoint {service}", partial(_endpoint, service=service), ("region",))
        for service in ENDPOINT_SERVICES
    ),
    _Spec("model id", _model_id, ("region",)),
    _Spec("model access", _model_access, ("identity", "endpoint bedrock-runtime", "model id")),
    _Spec("agent", _agent, ("identity", "endpoint bedrock-agent-runtime")),
    _Spec("openai endpoints", _openai, ("identity", "model id"), lambda run: run.openai),
)


# Where the fix starts in a library message: its "Fix:"/"Run:" line, else the second line.
_FIX_LINE = re.compile(r"^(Fix\b|Run:)")


def _split_message(text: str) -> tuple[str, str]:
    """(what failed, how to fix it) from an error message."""
    lines = text.splitlines() or [""]
    at = next((i for i, line in enumerate(lines) if i and _FIX_LINE.match(line)), 1)
    fix = "\n".join(lines[at:]).strip()
    return "\n".join(lines[:at]), re.sub(r"^(Fix|Run):\s+", "", fix)


def _failed_step(name: str, error: BaseException, fix: str | None) -> tuple[Step, int]:
    code, fallback = failure_class(error)
    if isinstance(error, BedrockAuthError):
        detail, own_fix = _split_message(str(error))
    else:  # not ours: a bug, shown as it is (redacted)
        detail, own_fix = f"{type(error).__name__}: {redact(str(error))}", ""
    step = Step(name, False, detail, type(error).__name__, fix or own_fix or fallback)
    return step, code


def _attempt(spec: _Spec, run: _Run) -> tuple[Step, int]:
    try:
        return Step(spec.name, True, spec.run(run)), 0
    except _Failed as failed:
        return _failed_step(spec.name, failed.error, failed.fix)
    except Exception as exc:  # a report must come back whatever a step hits
        mfa = run.settings.mfa_token_provider if run.settings is not None else None
        local = local_problem(exc, mfa)  # a missing file, the user's MFA function raising
        if local is not None:
            return _failed_step(spec.name, *local)
        return _failed_step(spec.name, exc, None)


def _run_steps(
    run: _Run,
    on_start: Callable[[str], None] | None,
    on_step: Callable[[Step], None] | None,
) -> Report:
    passed: dict[str, bool] = {}
    steps: list[Step] = []
    exit_code = 0
    for spec in _STEPS:
        if not all(passed.get(need, True) for need in spec.needs):
            passed[spec.name] = False  # left out: what it needs failed
            continue
        if not spec.applies(run):
            continue
        if on_start is not None:
            on_start(spec.name)
        step, code = _attempt(spec, run)
        passed[spec.name] = step.ok
        exit_code = exit_code or code
        steps.append(step)
        if on_step is not None:
            on_step(step)
    ok = all(step.ok for step in steps)
    return Report(ok, exit_code, tuple(steps), tuple(dict.fromkeys(run.warnings)))


class CheckOptions(AuthOptions, total=False):
    """The keyword options of :func:`check` and :func:`acheck`: doctor's own, then
    :class:`~bedrock_auth.BedrockClientManager`'s."""

    #: The agent to reach (default: ``BEDROCK_AGENT_ID``/``BEDROCK_AGENT_ALIAS_ID``).
    agent_id: str | None
    agent_alias_id: str | None
    #: False: no model or agent call (default: True).
    invoke: bool
    #: True: also check the OpenAI-compatible endpoints (default: False).
    openai: bool
    #: An existing manager to check, instead of the manager options.
    manager: BedrockClientManager | None
    config: AuthConfig | None


def check(
    model: str | None = None,
    *,
    on_start: Callable[[str], None] | None = None,
    on_step: Callable[[Step], None] | None = None,
    **options: Unpack[CheckOptions],
) -> Report:
    """Run doctor's steps and return the :class:`Report`; never raises for a failed step.

    ``options`` are :class:`~bedrock_auth.BedrockClientManager` options (and ``config``); or
    pass an existing ``manager``. ``model`` defaults to ``BEDROCK_MODEL_ID`` and the agent ids
    to ``BEDROCK_AGENT_ID``/``BEDROCK_AGENT_ALIAS_ID``. With ``invoke=True`` (the default) a
    known model gets one Converse call with ``maxTokens=1`` (``bedrock:InvokeModel``, a few
    tokens billed) and a known agent one InvokeAgent call (it runs the agent once);
    ``invoke=False`` skips both. ``openai=True`` also checks the OpenAI-compatible endpoints
    through the openai SDK (a 1-token Chat Completion on bedrock-runtime, a model listing on
    bedrock-mantle).

    ``on_start(name)`` is called before each step and ``on_step(step)`` after it, in the
    calling thread: the CLI prints progress with them.

    >>> report = check("claude-sonnet-4-5")                      # doctest: +SKIP
    >>> report.ok or report.steps[-1].fix                         # doctest: +SKIP
    """
    return _run_steps(_run_for(model, options), on_start, on_step)


def _run_for(model: str | None, options: CheckOptions) -> _Run:
    run = _Run(
        config=options.pop("config", None),
        model=model,
        agent_id=options.pop("agent_id", None),
        agent_alias_id=options.pop("agent_alias_id", None),
        invoke=options.pop("invoke", True),
        manager=options.pop("manager", None),
        openai=options.pop("openai", False),
        options=dict(options),  # what is left: the manager's options
    )
    if run.manager is not None and (run.options or run.config is not None):
        raise ConfigurationError(
            "check() takes either manager= or manager options (profile=, region=, ...), not "
            "both: the manager's own options are the ones checked."
        )
    return run


async def acheck(model: str | None = None, **options: Unpack[CheckOptions]) -> Report:
    """:func:`check` in a worker thread, for async apps (a health endpoint, a startup hook).

    >>> report = await acheck("haiku", invoke=False)              # doctest: +SKIP
    """
    return await asyncio.to_thread(partial(check, model, **options))
