"""Ask a Bedrock Agent, streaming its answer, and keep the session for a follow-up.

export BEDROCK_AGENT_ID=... BEDROCK_AGENT_ALIAS_ID=...
python examples/agent_invoke.py "What is our refund policy?"
"""

import sys

from bedrock_auth import invoke_agent, invoke_agent_stream

question = sys.argv[1] if len(sys.argv) > 1 else "What can you help me with?"
stream = invoke_agent_stream(question)
for chunk in stream:
    print(chunk, end="", flush=True)
print(f"\n[session {stream.session_id}, {len(stream.citations)} citations]")
follow_up = invoke_agent("And in one sentence?", session_id=stream.session_id)
print(follow_up.text)
