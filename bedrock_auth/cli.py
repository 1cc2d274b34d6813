"""The bedrock-auth command line: doctor, policy, models, explain, demo and emulator.

This is the one module that writes to stdout; the library itself only logs.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from bedrock_auth._version import __version__
from bedrock_auth.errors import BedrockAuthError
from bedrock_auth.sources import COMMAND_LINE_MODES

if TYPE_CHECKING:
    from bedrock_auth.diagnostics import Report, Step
    from bedrock_auth.models import ListedModel, Listing

DESCRIPTION = (
    "Validated AWS Bedrock access through the standard AWS credential chain. "
    "doctor checks a setup step by step, policy prints a minimal IAM policy, models lists the "
    "models this account can call in a region, explain prints the cause and fix of a doctor "
    "exit code or error class, demo runs the whole path against a local emulator, emulator "
    "serves that emulator until interrupted."
)

# -- arguments -------------------------------------------------------------------------------

#: A command's arguments: argparse's keywords, by flag.
Arguments = dict[str, dict[str, Any]]


def _arg(text: str, **keywords: Any) -> dict[str, Any]:
    return {"help": text, **keywords}


def _switch(text: str, **keywords: Any) -> dict[str, Any]:
    return {"action": "store_true", "help": text, **keywords}


def _dest(flag: str, keywords: dict[str, Any]) -> str:
    """The attribute argparse stores ``flag`` under."""
    return str(keywords.get("dest") or flag.lstrip("-").replace("-", "_"))


def _values(args: argparse.Namespace, arguments: Arguments) -> dict[str, Any]:
    """What ``args`` holds for ``arguments``, by attribute name."""
    names = [_dest(flag, keywords) for flag, keywords in arguments.items()]
    return {name: getattr(args, name) for name in names}


# -- doctor ----------------------------------------------------------------------------------

_DOCTOR_TEXTS = (
    "check settings, credentials, identity, region, endpoints and model access",
    "Check each step from settings to a one-token model call, print each result as it "
    "finishes, and say how to fix what fails. Options default to the environment and "
    ".env, as for the library. The exit code names the first failure: bedrock-auth "
    "explain CODE prints its cause and fix.",
)
# doctor's flags that are BedrockClientManager options of the same names.
_DOCTOR_OPTIONS: Arguments = {
    "--profile": _arg("AWS profile to use, pinned (default: AWS_PROFILE, else the chain)"),
    "--region": _arg("region to check (default: AWS_REGION, AWS_DEFAULT_REGION, the profile)"),
    "--role-arn": _arg("IAM role to assume on top of the base credentials"),
    "--external-id": _arg("ExternalId for --role-arn, if its trust policy asks for one"),
    # Every mode but those that need a function in code (custom).
    "--mode": _arg("pin the credential source instead of inferring it", choices=COMMAND_LINE_MODES),
    "--endpoint-url": _arg("bedrock-runtime endpoint URL (a VPC endpoint without private DNS)"),
    "--sts-read-timeout": _arg(
        "read timeout of STS and SSO calls (default: BEDROCK_STS_READ_TIMEOUT, else 10)",
        type=float,
        metavar="SECONDS",
    ),
    "--read-timeout": _arg(
        "read timeout of the Bedrock calls (default: BEDROCK_READ_TIMEOUT, else 300)",
        type=float,
        metavar="SECONDS",
    ),
}
_DOCTOR_ARGUMENTS: Arguments = {
    **_DOCTOR_OPTIONS,
    "--model": _arg("model to resolve and call (alias, id or ARN; default: BEDROCK_MODEL_ID)"),
    "--agent-id": _arg("agent to reach (default: BEDROCK_AGENT_ID)"),
    "--agent-alias-id": _arg("alias of that agent (default: BEDROCK_AGENT_ALIAS_ID)"),
    "--no-invoke": _switch(
        "make no model or agent call (by default a known model gets one 1-token Converse "
        "and a known agent one InvokeAgent)"
    ),
    "--openai": _switch(
        "also check the OpenAI-compatible endpoints (bedrock-runtime /openai/v1 and "
        "bedrock-mantle) through the openai SDK; needs the openai extra"
    ),
    "--json": _switch("print one JSON object instead of lines"),
}


@contextmanager
def _library_logs(verbose: bool) -> Iterator[None]:
    """Quiet library loggers while doctor runs: its report carries every failure and warning.

    botocore logs some failures (an expired SSO token) as a WARNING with a traceback before
    raising; doctor reports the same failure as one step with its fix. With -v the
    bedrock_auth logger stays at DEBUG; botocore stays quiet (its DEBUG output holds tokens).
    """
    levels = {
        "botocore": logging.CRITICAL,
        "urllib3": logging.CRITICAL,
        "bedrock_auth": logging.DEBUG if verbose else logging.CRITICAL,
    }
    loggers = {name: logging.getLogger(name) for name in levels}
    saved = {name: logger.level for name, logger in loggers.items()}
    for name, logger in loggers.items():
        logger.setLevel(levels[name])
    try:
        yield
    finally:
        for name, logger in loggers.items():
            logger.setLevel(saved[name])


def _ellipsis() -> str:
    """"…" where the terminal's encoding has it, else "..."."""
    try:
        "…".encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return "..."
    return "…"


class _Progress:
    """Prints each step as it finishes; on a terminal, a "…" line while a step is running."""

    def __init__(self, live: bool) -> None:
        self.live = live

    def started(self, name: str) -> None:
        if self.live:
            sys.stdout.write(f"[ .. ] {name} {_ellipsis()}")
            sys.stdout.flush()

    def finished(self, step: Step) -> None:
        if self.live:
            sys.stdout.write("\r\033[K")  # replace the "…" line
        print(_format_step(step), flush=True)


def _format_step(step: Step) -> str:
    mark = "ok  " if step.ok else "FAIL"
    first, *rest = step.detail.splitlines() or [""]
    lines = [f"[{mark}] {step.name}: {first}", *(f"       {line}" for line in rest)]
    if step.fix:
        fix_first, *fix_rest = step.fix.splitlines()
        lines.append(f"       fix: {fix_first}")
        lines.extend(f"            {line}" for line in fix_rest)
    return "\n".join(lines)


def _summary(report: Report, invoked: bool) -> str:
    from bedrock_auth._failures import explain_command

    if not report.ok:
        failed = next(step for step in report.steps if not step.ok)
        return (
            f"doctor: '{failed.name}' failed ({failed.error_class}); exit code "
            f"{report.exit_code}. The cause and the fix: {explain_command(failed.error_class)}"
        )
    if report.model_checked:
        return "doctor: every step passed."
    # Passing without a model call says nothing about Bedrock answering: say so, and how.
    how = (
        "run doctor without --no-invoke"
        if not invoked
        else "run bedrock-auth doctor --model <model>, e.g. --model claude-sonnet-4-5"
    )
    return (
        "doctor: every step that ran passed, but no model was called, so model access was not "
        f"checked. To check it with one 1-token call, {how}."
    )


def _doctor(args: argparse.Namespace) -> int:
    from bedrock_auth.diagnostics import check

    options = {k: v for k, v in _values(args, _DOCTOR_OPTIONS).items() if v is not None}
    progress = _Progress(live=sys.stdout.isatty() and not args.json)
    with _library_logs(args.verbose):
        report = check(
            args.model,
            agent_id=args.agent_id,
            agent_alias_id=args.agent_alias_id,
            invoke=not args.no_invoke,
            openai=args.openai,
            on_start=None if args.json else progress.started,
            on_step=None if args.json else progress.finished,
            **options,
        )
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        for warning in report.warnings:
            print(f"[warn] {warning}")
        print(_summary(report, invoked=not args.no_invoke))
    return report.exit_code


# -- explain ---------------------------------------------------------------------------------


def _explain(args: argparse.Namespace) -> int:
    from bedrock_auth._failures import section

    print(section(args.topic), end="")
    return 0


_EXPLAIN_TEXTS = (
    "print the cause and fix of a doctor exit code or error class",
    "Print the troubleshooting section for a doctor exit code (5) or an error class "
    "(CredentialsNotFoundError, or credentialsnotfound): the message, its cause and the "
    "fix. Without an argument, the table of exit codes. The text ships with the package.",
)
_EXPLAIN_ARGUMENTS: Arguments = {
    "topic": _arg("exit code or class", nargs="?", metavar="CODE_OR_CLASS"),
}


# -- policy ----------------------------------------------------------------------------------

_POLICY_TEXTS = (
    "print a minimal IAM policy for this library",
    "Print a minimal IAM policy (JSON) allowing bedrock:InvokeModel and "
    "bedrock:InvokeModelWithResponseStream, scoped to the given models, plus the extras "
    "asked for.",
)
# policy's flags that are build_policy's keywords: the extras a policy can grant.
_POLICY_EXTRAS: Arguments = {
    "--agents": _switch("add bedrock:InvokeAgent"),
    "--app-profiles": _switch(
        "add bedrock:GetInferenceProfile (application inference profiles), scoped to the "
        "given models"
    ),
    "--assume-role": _arg(
        "add sts:AssumeRole on this role, for the identity that assumes it", metavar="ROLE_ARN"
    ),
    "--bearer": _switch("add bedrock:CallWithBearerToken (API keys)"),
    "--mantle": _switch(
        "add bedrock-mantle:CreateInference (the OpenAI-compatible APIs on bedrock-mantle); "
        "with --bearer also bedrock-mantle:CallWithBearerToken"
    ),
    "--list": _switch(
        "add bedrock:ListFoundationModels and bedrock:ListInferenceProfiles (the live model "
        "catalog and bedrock-auth models use them)",
        dest="listing",
    ),
}
_POLICY_ARGUMENTS: Arguments = {
    "--model": _arg(
        "limit to this model (repeatable; alias, id or ARN); default: every model",
        action="append",
        default=[],
    ),
    "--region": _arg(
        "region the model ids are resolved for (default: AWS_REGION, AWS_DEFAULT_REGION, "
        "the profile's region, else us-east-1)"
    ),
    "--allow-unknown": _switch(
        "accept a --model the catalog does not know (a model newer than this release)"
    ),
    **_POLICY_EXTRAS,
    # The policy is always JSON; accepted so that every command takes --json.
    "--json": _switch("print JSON (the only format; for scripts)"),
}


def _policy(args: argparse.Namespace) -> int:
    from bedrock_auth._translate import cause_of, translate_error
    from bedrock_auth.models import resolve_model_id
    from bedrock_auth.policy import build_policy, known_model_id
    from bedrock_auth.settings import AuthConfig, resolve_settings

    # Resolved as the manager resolves it: --region, AWS_REGION, AWS_DEFAULT_REGION, the
    # profile's region (a .env file included); the role ARN is checked the same way too.
    config = AuthConfig(region=args.region, role_arn=args.assume_role, validate=False)
    try:
        settings = resolve_settings(config)
    except BedrockAuthError:
        raise
    except Exception as exc:  # botocore's own (a missing AWS_PROFILE): said as the manager says it
        raise translate_error(exc) from cause_of(exc)
    resolve = resolve_model_id if args.allow_unknown else known_model_id
    model_ids = [resolve(model, settings.region) for model in args.model]
    document = build_policy(model_ids, settings.region, **_values(args, _POLICY_EXTRAS))
    print(json.dumps(document, indent=2))
    return 0


# -- models ----------------------------------------------------------------------------------


def _model_rows(listing: Listing, provider: str | None) -> list[dict[str, Any]]:
    """One row per model this account can call in the listing's region, and per app profile."""
    from bedrock_auth.models import ListedModel, listed_id

    rows: list[dict[str, Any]] = []
    for model in sorted(listing.models.values(), key=lambda m: m.model_id):
        use = listed_id(model.model_id, listing)
        if use is not None:
            access = "on-demand" if use == model.model_id else "inference profile"
            rows.append(_row(use, access, model, listing.profiles_for(model.model_id)))
    for arn, base in sorted(listing.profiles.items()):
        if arn.startswith("arn:"):
            model = listing.models.get(base) or ListedModel(base, base, _vendor(base), False)
            rows.append(_row(arn, "application profile", model, []))
    wanted = (provider or "").lower()
    return [r for r in rows if not wanted or wanted in (r["provider"].lower(), r["vendor"])]


def _row(use: str, access: str, model: ListedModel, profiles: list[str]) -> dict[str, Any]:
    end = model.end_of_life
    return {
        "id": use,
        "access": access,
        "status": model.status,
        "end_of_life": end.date().isoformat() if end else None,
        "model_id": model.model_id,
        "name": model.name,
        "provider": model.provider,
        "vendor": _vendor(model.model_id),
        "profiles": profiles,
    }


def _vendor(model_id: str) -> str:
    """The provider prefix of a model id: ``anthropic`` for ``anthropic.claude-...``."""
    return model_id.split(".", 1)[0].lower()


def _models(args: argparse.Namespace) -> int:
    from bedrock_auth.manager import BedrockClientManager

    # Asked for explicitly: the listing runs even where BEDROCK_LIVE_CATALOG=0.
    manager = BedrockClientManager(region=args.region, live_catalog=True)
    region = manager.region
    listing = manager.catalog.listing(region)
    if listing is None:
        print(
            f"error: Bedrock's model listing failed in {region} "
            f"({manager.catalog.failure(region)}). It needs bedrock:ListFoundationModels and "
            "bedrock:ListInferenceProfiles (bedrock-auth policy --list prints them); "
            "`bedrock-auth doctor` checks the rest of the setup.",
            file=sys.stderr,
        )
        return 2
    rows = _model_rows(listing, args.provider)
    if args.json:
        print(json.dumps({"region": region, "models": rows}, indent=2))
        return 0
    print(f"{len(rows)} model(s) this account can call in {region}:")
    for row in rows:
        status = row["status"] + (f" until {row['end_of_life']}" if row["end_of_life"] else "")
        print(f"  {row['id']:<60} {row['access']:<20} {status:<8} {row['name']}")
    return 0


_MODELS_TEXTS = (
    "list the models this account can call in a region",
    "List what Bedrock offers this account in a region (ListFoundationModels and "
    "ListInferenceProfiles): the id to call each model with, on demand or through an "
    "inference profile, and its lifecycle status (ACTIVE, or LEGACY with its end date).",
)
_MODELS_ARGUMENTS: Arguments = {
    "--region": _arg("region to list (default: AWS_REGION, AWS_DEFAULT_REGION, the profile)"),
    "--provider": _arg("only this provider's models (anthropic, amazon, meta, ...)"),
    "--json": _switch("print one JSON document instead of lines"),
}


# -- demo ------------------------------------------------------------------------------------


_DEMO_TEXTS = (
    "run the whole path against the embedded emulator",
    "Run credentials, STS validation, converse, streaming, an agent and get_llm against "
    "the embedded Bedrock emulator on 127.0.0.1. No AWS account is used.",
)
# Set by the demo for the child process it runs itself in.
_DEMO_ARGUMENTS: Arguments = {"--clean-environment": _switch(argparse.SUPPRESS)}


def _demo(args: argparse.Namespace) -> int:
    if args.clean_environment:
        from bedrock_auth.demo import run_demo

        return run_demo(print)
    import subprocess

    from bedrock_auth.settings import environment_without

    # The demo must not depend on the shell: a stale AWS_PROFILE or an opted-in API key would
    # break it. It runs in a child process started without any AWS_*/BEDROCK_* variable; this
    # process's own environment is left as it is.
    env = {**environment_without(("AWS_", "BEDROCK_")), "AWS_EC2_METADATA_DISABLED": "true"}
    verbose = ["-v"] if args.verbose else []
    command = [sys.executable, "-m", "bedrock_auth", *verbose, "demo", "--clean-environment"]
    return subprocess.run(command, env=env, check=False).returncode


# -- emulator --------------------------------------------------------------------------------

# Clients that read their own variable instead of AWS_ENDPOINT_URL_*: the anthropic SDK's
# AnthropicBedrock and LiteLLM.
_OWN_ENDPOINT_VARIABLES = ("ANTHROPIC_BEDROCK_BASE_URL", "AWS_BEDROCK_RUNTIME_ENDPOINT")


def _export_lines(env: dict[str, str], endpoint_url: str) -> list[str]:
    import shlex

    everything = {**env, **dict.fromkeys(_OWN_ENDPOINT_VARIABLES, endpoint_url)}
    return [f"export {name}={shlex.quote(value)}" for name, value in everything.items()]


def _wait_for_stop_signal() -> None:
    """Block until Ctrl-C (SIGINT) or SIGTERM."""
    import signal
    import threading

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    # A timed wait, so the main thread regularly gets to run the signal handlers.
    while not stop.wait(0.5):
        pass


def _emulator(args: argparse.Namespace) -> int:
    from bedrock_auth.testing import BedrockEmulator

    limits = {k: v for k, v in _values(args, _EMULATOR_LIMITS).items() if v is not None}
    emulator = BedrockEmulator(
        host=args.host,
        port=args.port,
        tls=args.tls,
        region=args.region,
        strict_models=args.strict,
        random_seed=args.random_seed,
        **limits,
    )
    try:
        if args.seed:
            emulator.seed(args.seed)
        emulator.start()
    except (OSError, ValueError, TypeError, RuntimeError) as error:
        # A taken port, no cryptography for --tls, an unreadable seed file or a seed entry with
        # an unknown keyword: say which, without a traceback.
        print(f"error: {_emulator_start_error(error, args)}", file=sys.stderr)
        return 2
    try:
        print(f"Bedrock emulator listening on {emulator.endpoint_url}")
        print("# Point the AWS CLI, an SDK or another process at it:")
        print("\n".join(_export_lines(emulator.env(), emulator.endpoint_url)))
        print("# Ctrl-C or SIGTERM stops it.", flush=True)
        _wait_for_stop_signal()
    finally:
        emulator.stop()
    print("Bedrock emulator stopped.", flush=True)
    return 0


def _positive(kind: type) -> Any:
    import math

    def convert(text: str) -> Any:
        value = kind(text)
        if not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"must be a positive number, not {text!r}")
        return value

    convert.__name__ = kind.__name__  # argparse names the type in "invalid int value"
    return convert


def _limit(kind: type, metavar: str, text: str) -> dict[str, Any]:
    return _arg(text, type=_positive(kind), metavar=metavar)


# The emulator's limits (BedrockEmulator keywords of the same names). The defaults are those of
# bedrock_auth.testing.limits, written out because importing it would slow every command.
_EMULATOR_LIMITS: Arguments = {
    "--max-body-bytes": _limit(
        int,
        "N",
        "largest request body; a larger one is answered 413 unread (default: 64 MiB, above "
        "Bedrock's own request limits)",
    ),
    "--max-header-bytes": _limit(int, "N", "request line and headers together (default: 64 KiB)"),
    "--idle-timeout": _limit(
        float,
        "SECONDS",
        "close a connection that sends nothing for this long, or takes longer to send a "
        "request's headers (default: 60)",
    ),
    "--max-connections": _limit(
        int,
        "N",
        "connections open at once; the longest-idle one is closed to make room (default: 512)",
    ),
    "--max-seed-bytes": _limit(int, "N", "largest --seed file (default: 8 MiB)"),
    "--max-nesting": _limit(
        int,
        "N",
        "deepest nesting of lists and objects in a --seed file or a JSON request body "
        "(default: 128)",
    ),
}
_EMULATOR_TEXTS = (
    "serve the local Bedrock emulator until interrupted",
    "Serve the local Bedrock emulator (bedrock-runtime, bedrock-agent-runtime, bedrock and "
    "STS) in the foreground, print its endpoint and the export lines that point the AWS "
    "CLI, another SDK or a second process at it, and stop on Ctrl-C or SIGTERM.",
)
_EMULATOR_ARGUMENTS: Arguments = {
    "--host": _arg("address to listen on (default: 127.0.0.1)", default="127.0.0.1"),
    "--port": _arg("port to listen on (default: a free port)", type=int, default=0),
    "--tls": _switch("serve https with a certificate made at start"),
    "--region": _arg("the emulated region (default: us-east-1)", default="us-east-1"),
    "--strict": _switch(
        "refuse unknown model ids and bare ids that need an inference profile, as Bedrock does"
    ),
    "--seed": _arg(
        "a JSON or YAML file of scripted replies and faults to load at start", metavar="FILE"
    ),
    "--random-seed": _arg(
        "draw every id in the answers from this seed, so runs repeat byte for byte",
        type=int,
        metavar="N",
    ),
    **_EMULATOR_LIMITS,
}


def _emulator_start_error(error: Exception, args: argparse.Namespace) -> str:
    """One line for what stopped the emulator, in the command line's words (its flags)."""
    import errno

    from bedrock_auth.testing import EmulatorStartError

    if isinstance(error, RuntimeError):
        if not isinstance(error.__cause__, ImportError):
            raise error  # not a missing package: a bug, shown with its traceback
        return (
            "--tls needs the 'cryptography' package, which makes the certificate: "
            "pip install cryptography"
        )
    if isinstance(error, EmulatorStartError) and error.errno == errno.EADDRINUSE:
        return (
            f"cannot start: {args.host}:{args.port} is already in use (another process, "
            "perhaps another emulator); pass --port 0, or leave --port out, to pick a free port"
        )
    kind = "cannot start" if isinstance(error, EmulatorStartError) else "bad --seed"
    return f"{kind}: {error}"


# -- the parser ------------------------------------------------------------------------------


def _verbose_flag(parser: argparse.ArgumentParser, default: Any) -> None:
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=default,
        help="log the bedrock_auth logger at DEBUG to stderr (botocore stays quiet: its DEBUG "
        "output contains session tokens)",
    )


def _subcommand(
    sub: Any,
    name: str,
    texts: tuple[str, str],
    arguments: Arguments,
    run: Callable[[argparse.Namespace], int],
) -> None:
    """Add the subcommand ``name``: ``texts`` are its one-line summary and its description."""
    summary, description = texts
    parser: argparse.ArgumentParser = sub.add_parser(name, help=summary, description=description)
    # SUPPRESS: a -v given before the subcommand is not reset by the subcommand's default.
    _verbose_flag(parser, argparse.SUPPRESS)
    for flag, keywords in arguments.items():
        parser.add_argument(flag, **keywords)
    parser.set_defaults(parser=parser, run=run)  # main() reports an unknown flag with this usage


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bedrock-auth", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"bedrock-auth {__version__}")
    _verbose_flag(parser, False)
    sub = parser.add_subparsers(
        dest="command",
        required=True,
        metavar="{doctor,policy,models,explain,demo,emulator}",
        help="run bedrock-auth COMMAND --help for its options",
    )
    _subcommand(sub, "doctor", _DOCTOR_TEXTS, _DOCTOR_ARGUMENTS, _doctor)
    _subcommand(sub, "policy", _POLICY_TEXTS, _POLICY_ARGUMENTS, _policy)
    _subcommand(sub, "models", _MODELS_TEXTS, _MODELS_ARGUMENTS, _models)
    _subcommand(sub, "explain", _EXPLAIN_TEXTS, _EXPLAIN_ARGUMENTS, _explain)
    _subcommand(sub, "demo", _DEMO_TEXTS, _DEMO_ARGUMENTS, _demo)
    _subcommand(sub, "emulator", _EMULATOR_TEXTS, _EMULATOR_ARGUMENTS, _emulator)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bedrock-auth`` console script."""
    args, unknown = _parser().parse_known_args(argv)
    if unknown:  # with the subcommand's own usage, not the top-level one
        args.parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.verbose:
        # Only our logger: botocore's DEBUG output prints request headers, session token included.
        logging.getLogger("bedrock_auth").setLevel(logging.DEBUG)
    try:
        code: int = args.run(args)
    except BedrockAuthError as error:
        print(f"error: {error}", file=sys.stderr)
        if args.command != "explain":
            from bedrock_auth._failures import explain_command

            explain = explain_command(type(error).__name__)
            print(f"The cause and the fix: {explain}", file=sys.stderr)
        return 2
    return code
