"""InvokeModel with a provider-native body (Anthropic messages), plain and streamed.

python examples/invoke_model_native.py
"""

import os

from bedrock_auth import invoke_model, invoke_model_stream

model = os.environ.get("BEDROCK_MODEL_ID", "claude-haiku-4-5")
body = {  # anthropic_version is filled in for Anthropic models
    "max_tokens": 200,
    "messages": [{"role": "user", "content": "Name three AWS regions."}],
}
result = invoke_model(model, body)
print(result.text)
print(f"[stop={result.body.get('stop_reason')}]")
for delta in invoke_model_stream(model, body):
    print(delta, end="", flush=True)
print()
