"""Stream a Converse answer as it is generated, then print the final usage.

python examples/converse_streaming.py "Write a haiku about regions."
"""

import os
import sys

from bedrock_auth import converse_stream

model = os.environ.get("BEDROCK_MODEL_ID", "claude-haiku-4-5")
prompt = sys.argv[1] if len(sys.argv) > 1 else "Write a haiku about the cloud."
stream = converse_stream(model, prompt, max_tokens=200)
for delta in stream:
    print(delta, end="", flush=True)
print(f"\n[stop={stream.stop_reason}, output tokens={stream.usage.output_tokens}]")
