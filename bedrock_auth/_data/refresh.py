"""Refresh ``models.json`` from real Bedrock listings: a maintainer command.

Run it in a source checkout with the JSON the AWS CLI prints for one Region::

    aws bedrock list-foundation-models --region us-east-1 > fm.json
    aws bedrock list-inference-profiles --region us-east-1 > ip.json
    python -m bedrock_auth._data.refresh --region us-east-1 \\
        --foundation-models fm.json --inference-profiles ip.json

It merges, and only adds: new models, the Region to a model's in-Region list (``ON_DEMAND``)
or to a profile's source Regions (a ``SYSTEM_DEFINED`` profile listed there), new providers,
and the facts the listing carries (lifecycle status and dates, modalities, streaming). One
account's listing in one Region cannot say that a model is *not* offered elsewhere, so nothing
is ever removed, and the hand-kept fields the listings do not carry (aliases, tools,
reasoning, citations, CountTokens, embedding sizes, how answers look on Bedrock such as
``invoke_body`` or ``tool_use_type``, Mantle routes, notes) are left as they are.
A model the listing adds gets defaults for those, and a note asking for review. Run it once per
Region; ``--dry-run`` prints the changes without writing.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

from bedrock_auth._data import dumps
from bedrock_auth.regions import GEOGRAPHY_PREFIXES, check_region, split_profile_prefix

Json = dict[str, Any]

#: The source key the merged facts are credited to.
SOURCE = "aws-listing"
_SOURCE_TEXT = (
    "ListFoundationModels / ListInferenceProfiles output merged by "
    "python -m bedrock_auth._data.refresh (see docs/models.md)"
)
_CALLABLE = frozenset({"ON_DEMAND", "INFERENCE_PROFILE"})
_REVIEW = (
    "Added by the refresh command from the {region} listing: tools, reasoning, citations and "
    "CountTokens are defaults; review them."
)
# modelLifecycle field -> the data's lifecycle key
_LIFECYCLE_DATES = {"legacyTime": "legacy_since", "endOfLifeTime": "end_of_life"}


def _new_entry(model_id: str, name: str, region: str) -> Json:
    return {
        "id": model_id,
        "name": name,
        "aliases": [],
        "regions": [],
        "profiles": {},
        "regions_complete": False,
        "capabilities": {
            "streaming": True,
            "tools": True,
            "reasoning": "none",
            "citations": False,
            "count_tokens": False,
            "input": ["TEXT"],
            "output": ["TEXT"],
        },
        "lifecycle": {"status": "ACTIVE", "legacy_since": None, "end_of_life": None},
        "sources": [SOURCE],
        "note": _REVIEW.format(region=region),
    }


class Merge:
    """One Region's listings merged into the data (a dict as :func:`bedrock_auth._data.read`
    gives it, changed in place); :attr:`changes` says what changed, one line each."""

    def __init__(self, data: Json, region: str) -> None:
        self.data = data
        self.region = check_region(region)
        self.changes: list[str] = []
        self._models: dict[str, Json] = {m["id"]: m for m in data["models"]}

    def _entry(self, model_id: str, name: str) -> Json:
        entry = self._models.get(model_id)
        if entry is None:
            entry = self._models[model_id] = _new_entry(model_id, name, self.region)
            self._insert(entry)
            self.changes.append(f"+ model {model_id} ({name})")
        if SOURCE not in entry["sources"]:
            entry["sources"].append(SOURCE)
        return entry

    def _insert(self, entry: Json) -> None:
        # After the last model of the same provider, so the file stays grouped.
        provider = entry["id"].split(".", 1)[0]
        models: list[Json] = self.data["models"]
        same = [i for i, m in enumerate(models) if m["id"].split(".", 1)[0] == provider]
        models.insert(same[-1] + 1 if same else len(models), entry)

    def _add_region(self, regions: list[str], what: str) -> None:
        if self.region not in regions:
            regions.append(self.region)
            regions.sort()
            self.changes.append(f"+ {what} from {self.region}")

    def foundation_models(self, summaries: Iterable[Mapping[str, Any]]) -> None:
        """Merge ``modelSummaries`` (ListFoundationModels)."""
        for summary in summaries:
            kinds = set(summary.get("inferenceTypesSupported") or ())
            if not kinds & _CALLABLE:
                continue  # provisioned-throughput variants (":28k" ids): nothing to resolve
            model_id = summary["modelId"]
            self._provider(model_id, summary.get("providerName"))
            entry = self._entry(model_id, summary.get("modelName") or model_id)
            if "ON_DEMAND" in kinds:
                self._add_region(entry["regions"], f"in-Region {model_id}")
            self._listed_facts(entry, summary)

    def _provider(self, model_id: str, name: str | None) -> None:
        prefix, providers = model_id.split(".", 1)[0], self.data["providers"]
        if prefix not in providers:
            providers[prefix] = name or prefix
            self.changes.append(f"+ provider {prefix} ({providers[prefix]})")

    def _listed_facts(self, entry: Json, summary: Mapping[str, Any]) -> None:
        capabilities = entry["capabilities"]
        listed = {
            "input": summary.get("inputModalities"),
            "output": summary.get("outputModalities"),
            "streaming": summary.get("responseStreamingSupported"),
        }
        for key, value in listed.items():
            if value is not None and value != [] and capabilities[key] != value:
                self.changes.append(f"~ {entry['id']} {key}: {capabilities[key]} -> {value}")
                capabilities[key] = value
        self._lifecycle(entry, summary.get("modelLifecycle") or {})

    def _lifecycle(self, entry: Json, listed: Mapping[str, Any]) -> None:
        lifecycle = entry["lifecycle"]
        found = {"status": listed.get("status")}
        found.update(
            (ours, str(listed[theirs])[:10])  # ISO timestamp -> YYYY-MM-DD
            for theirs, ours in _LIFECYCLE_DATES.items()
            if listed.get(theirs)
        )
        for key, value in found.items():
            if value is not None and lifecycle[key] != value:
                self.changes.append(f"~ {entry['id']} {key}: {lifecycle[key]} -> {value}")
                lifecycle[key] = value

    def inference_profiles(self, summaries: Iterable[Mapping[str, Any]]) -> None:
        """Merge ``inferenceProfileSummaries`` (ListInferenceProfiles, system-defined ones)."""
        for summary in summaries:
            if summary.get("type", "SYSTEM_DEFINED") != "SYSTEM_DEFINED":
                continue  # application profiles belong to one account
            profile_id = summary["inferenceProfileId"]
            geography, model_id = split_profile_prefix(profile_id)
            if geography is None:
                self.changes.append(f"? skipped {profile_id}: unknown geography prefix")
                continue
            self._provider(model_id, None)
            entry = self._entry(model_id, model_id)
            profiles: dict[str, list[str]] = entry["profiles"]
            self._add_region(profiles.setdefault(geography, []), f"{geography}. {model_id}")
            entry["profiles"] = {g: profiles[g] for g in GEOGRAPHY_PREFIXES if g in profiles}

    def finish(self) -> None:
        """Credit the listing in the sources table (when anything came from it)."""
        if self.changes:
            self.data["sources"].setdefault(SOURCE, _SOURCE_TEXT)


def _load(path: str | None, key: str) -> list[Mapping[str, Any]]:
    if path is None:
        return []
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    if key not in document:
        raise SystemExit(f"{path}: no {key!r}; is this the AWS CLI's JSON output?")
    summaries: list[Mapping[str, Any]] = document[key]
    return summaries


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bedrock_auth._data.refresh",
        description="Merge `aws bedrock list-foundation-models` / `list-inference-profiles` "
        "JSON output for one Region into bedrock_auth's models.json.",
    )
    parser.add_argument("--region", required=True, help="the Region the listings were made in")
    parser.add_argument("--foundation-models", metavar="FILE", help="list-foundation-models JSON")
    parser.add_argument("--inference-profiles", metavar="FILE", help="list-inference-profiles JSON")
    parser.add_argument(
        "--data", metavar="FILE", help="the models.json to update (default: the package's)"
    )
    parser.add_argument("--dry-run", action="store_true", help="print the changes, write nothing")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.foundation_models is None and args.inference_profiles is None:
        raise SystemExit("give --foundation-models and/or --inference-profiles")
    path = Path(args.data) if args.data else Path(str(files("bedrock_auth._data") / "models.json"))
    data = json.loads(path.read_text(encoding="utf-8"))
    merge = Merge(data, args.region)
    merge.foundation_models(_load(args.foundation_models, "modelSummaries"))
    merge.inference_profiles(_load(args.inference_profiles, "inferenceProfileSummaries"))
    merge.finish()
    print("\n".join(merge.changes) or "no changes")
    if merge.changes and not args.dry_run:
        path.write_text(dumps(data) + "\n", encoding="utf-8")
        print(f"wrote {path}; run `python tests/test_models.py --write-docs` for docs/models.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
