"""Offline testing support: a local Bedrock emulator and a pytest plugin.

``BedrockEmulator`` serves bedrock-runtime, bedrock-agent-runtime, bedrock (control plane) and
STS on 127.0.0.1 using the real wire formats, so botocore's own serializers, signers, retry
handlers and event-stream decoder run unchanged against it::

    from bedrock_auth.testing import BedrockEmulator

    with BedrockEmulator() as emu:
        emu.reply("Hi there")
        client = emu.client("bedrock-runtime")
        client.converse(modelId="amazon.nova-lite-v1:0",
                        messages=[{"role": "user", "content": [{"text": "Hello"}]}])

Standard library plus botocore (``cryptography`` only for ``tls=True``); importing it never
imports langchain.
"""

from .emulator import (
    DEFAULT_ACCOUNT_ID,
    TEST_ACCESS_KEY_ID,
    TEST_SECRET_ACCESS_KEY,
    BedrockEmulator,
    EmulatorStartError,
)
from .faults import Fault
from .generation import DEFAULT_PREFIX
from .script import Citation, RecordedRequest, Reply, ToolUse

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_PREFIX",
    "TEST_ACCESS_KEY_ID",
    "TEST_SECRET_ACCESS_KEY",
    "BedrockEmulator",
    "Citation",
    "EmulatorStartError",
    "Fault",
    "RecordedRequest",
    "Reply",
    "ToolUse",
]
