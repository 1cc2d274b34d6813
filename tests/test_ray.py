"""A real local Ray cluster on this machine: managers and models as task and actor arguments.

Skipped when Ray is not installed (``pip install -e ".[ray]"``). The cluster binds to
127.0.0.1 only, with no dashboard and no usage reporting.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from bedrock_auth import BedrockClientManager, converse, get_llm
from bedrock_auth.testing import BedrockEmulator

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install -e '.[ray]'")

ROLE = "arn:aws:iam::210987654321:role/bedrock-user"


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        _node_ip_address="127.0.0.1",
        log_to_driver=False,
        configure_logging=False,
    )
    yield ray
    ray.shutdown()


@pytest.fixture
def worker_env(emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment each Ray worker gets: the emulator's keys, nothing else of ours."""
    env = {"AWS_ACCESS_KEY_ID": emu.access_key_id, "AWS_SECRET_ACCESS_KEY": emu.secret_access_key}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def test_tasks_and_an_actor_resolve_credentials_per_worker(
    cluster: Any, emu: BedrockEmulator, worker_env: dict[str, str]
) -> None:
    manager = BedrockClientManager(endpoint_url=emu.endpoints(), region=emu.region, role_arn=ROLE)
    llm = get_llm("nova-lite", manager=manager)
    runtime_env = {"env_vars": worker_env}

    @ray.remote(runtime_env=runtime_env)
    def task(manager: BedrockClientManager, model: Any, text: str) -> tuple[int, str, str]:
        return (
            os.getpid(),
            converse("nova-lite", text, manager=manager).text,
            model.invoke(text).content,
        )

    @ray.remote(runtime_env=runtime_env)
    class Assistant:
        def __init__(self, model: Any) -> None:
            self.model = model

        def ask(self, text: str) -> str:
            return str(self.model.invoke(text).content)

    emu.clear()
    # Deadlines bound a hung cluster, they do not judge speed: on a loaded machine (two test
    # workers per core, the CPU pinned by other work) starting the actor's worker took over 60 s.
    results = ray.get([task.remote(manager, llm, f"t{i}") for i in range(12)], timeout=300)
    assert [r[1] for r in results] == [f"Emulated reply to: t{i}" for i in range(12)]
    assert [r[2] for r in results] == [f"Emulated reply to: t{i}" for i in range(12)]
    actor = Assistant.remote(llm)
    assert ray.get([actor.ask.remote(f"a{i}") for i in range(3)], timeout=300) == [
        f"Emulated reply to: a{i}" for i in range(3)
    ]
    workers = len({pid for pid, _, _ in results}) + 1  # the actor is a worker of its own
    operations = [r.operation for r in emu.requests]
    # Credentials scale with workers, not with the 15 tasks and calls.
    assert operations.count("AssumeRole") <= workers
    assert operations.count("GetCallerIdentity") <= workers
    assert operations.count("Converse") == 12 * 2 + 3
