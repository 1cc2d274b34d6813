"""One Converse call: text, stop reason, token usage and latency.

    python examples/converse_basic.py "What is Amazon Bedrock?"

Credentials, region and model come from the usual places (AWS_PROFILE, env keys, a role;
AWS_REGION; BEDROCK_MODEL_ID, default nova-lite).
"""

import os
import sys

from bedrock_auth import converse

model = os.environ.get("BEDROCK_MODEL_ID", "nova-lite")
prompt = sys.argv[1] if len(sys.argv) > 1 else "Say hello in one sentence."
result = converse(model, prompt, system="Answer briefly.", max_tokens=200)
print(result.text)
print(
    f"[{result.model_id} in {result.region}: stop={result.stop_reason}, "
    f"tokens={result.usage.total_tokens}, {result.latency_ms} ms]"
)
