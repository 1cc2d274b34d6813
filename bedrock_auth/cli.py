"""The ``bedrock-auth`` command line: ``doctor``, ``policy`` and ``demo``.

This is the one module that writes to stdout; the library itself only logs.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any

from bedrock_auth.errors import BedrockAuthError


def _doctor(args: argparse.Namespace) -> int:
    from bedrock_auth.diagnostics import all_ok, format_checks, run_checks

    options: dict[str, Any] = {
        k: v
        for k, v in (
            ("profile", args.profile),
            ("region", args.region),
            ("role_arn", args.role_arn),
        )
        if v
    }
    checks = run_checks(args.model, call_model=args.call_model, **options)
    if args.json:
        print(json.dumps([c.__dict__ for c in checks], indent=2))
    else:
        print(format_checks(checks))
    return 0 if all_ok(checks) else 1


def _policy(args: argparse.Namespace) -> int:
    from bedrock_auth.models import resolve_model_id
    from bedrock_auth.policy import DEFAULT_ACTIONS, policy_document

    models = [resolve_model_id(m, args.region) for m in args.model] or [""]
    statements: list[Any] = []
    for model_id in models:
        document = policy_document(DEFAULT_ACTIONS, model_id=model_id, region=args.region)
        statements.extend(document["Statement"])
    extras = {
        "agents": ["bedrock:InvokeAgent"],
        "app_profiles": ["bedrock:GetInferenceProfile"],
        "doctor": ["bedrock:CountTokens"],
    }
    for flag, actions in extras.items():
        if getattr(args, flag):
            statements.extend(policy_document(actions)["Statement"])
    print(json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=2))
    return 0


def _demo(args: argparse.Namespace) -> int:
    import os

    from bedrock_auth.demo import run_demo

    # The demo must not depend on the shell: a stale AWS_PROFILE or an opted-in API key would
    # break it. This is the CLI process's own environment, never a library user's.
    for name in [n for n in os.environ if n.startswith(("AWS_", "BEDROCK_"))]:
        del os.environ[name]
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

    return run_demo(print)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bedrock-auth", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG to stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    doctor = sub.add_parser("doctor", help="check credentials, identity, region and model access")
    doctor.add_argument("--profile")
    doctor.add_argument("--region")
    doctor.add_argument("--role-arn")
    doctor.add_argument("--model", help="also resolve this model id (alias, id or ARN)")
    doctor.add_argument(
        "--call-model",
        action="store_true",
        help="also call CountTokens on the model to prove access",
    )
    doctor.add_argument("--json", action="store_true", help="machine-readable output")
    doctor.set_defaults(run=_doctor)

    policy = sub.add_parser("policy", help="print a minimal IAM policy for this library")
    policy.add_argument(
        "--model",
        action="append",
        default=[],
        help="limit to this model (repeatable); default: every model",
    )
    policy.add_argument("--region", default="us-east-1")
    policy.add_argument("--agents", action="store_true", help="include bedrock:InvokeAgent")
    policy.add_argument(
        "--app-profiles",
        action="store_true",
        help="include bedrock:GetInferenceProfile (application inference profiles)",
    )
    policy.add_argument(
        "--doctor",
        action="store_true",
        help="include bedrock:CountTokens (for doctor --call-model)",
    )
    policy.set_defaults(run=_policy)

    demo = sub.add_parser("demo", help="run the whole path against the embedded emulator")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bedrock-auth`` console script."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.verbose:
        # Only our logger: botocore's DEBUG output prints request headers, session token included.
        logging.getLogger("bedrock_auth").setLevel(logging.DEBUG)
    try:
        code: int = args.run(args)
    except BedrockAuthError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return code
