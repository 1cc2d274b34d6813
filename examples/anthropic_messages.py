"""The Anthropic SDK on the Anthropic API or on Bedrock, switched by the environment (needs the
anthropic extra): one answer, one streamed answer, and a tool call answered by local code.

pip install "bedrock-auth[anthropic]"
CLAUDE_CODE_USE_BEDROCK=1 python examples/anthropic_messages.py   # Bedrock, any AWS credentials
ANTHROPIC_API_KEY=sk-ant-... python examples/anthropic_messages.py  # the Anthropic API

On Bedrock the client signs every request with the AWS credential chain (SSO, roles, keys, ...),
refreshed as they expire. The model is ANTHROPIC_MODEL or BEDROCK_MODEL_ID (default
claude-sonnet-4-6), mapped to the Bedrock id the region needs.
"""

from typing import Any

from bedrock_auth import anthropic_client_from_env, anthropic_model_from_env

client: Any = anthropic_client_from_env()
model = anthropic_model_from_env(default="claude-sonnet-4-6")

reply = client.messages.create(
    model=model, max_tokens=200, messages=[{"role": "user", "content": "Name one AWS region."}]
)
print(reply.content[0].text)

with client.messages.stream(
    model=model, max_tokens=200, messages=[{"role": "user", "content": "Count to five."}]
) as stream:
    for text in stream.text_stream:
        print(text, end="", flush=True)
print()

weather = {
    "name": "get_weather",
    "description": "The current weather in a city.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}
ask: list[Any] = [{"role": "user", "content": "What is the weather in Paris?"}]
first = client.messages.create(model=model, max_tokens=200, messages=ask, tools=[weather])
for block in first.content:
    if block.type == "tool_use":
        ask += [
            {"role": "assistant", "content": first.content},
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": block.id, "content": "sunny, 21 C"}
                ],
            },
        ]
        final = client.messages.create(model=model, max_tokens=200, messages=ask, tools=[weather])
        print(f"{block.name}({block.input}) -> {final.content[0].text}")
