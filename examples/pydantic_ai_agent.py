"""A pydantic-ai agent with a tool, on the manager's validated Bedrock client (needs the
pydantic-ai extra).

pip install "bedrock-auth[pydantic-ai]"
python examples/pydantic_ai_agent.py

Credentials, region and model come from the usual places (AWS_PROFILE, env keys, a role;
AWS_REGION; BEDROCK_MODEL_ID, default claude-haiku-4-5).
"""

import os

from pydantic_ai import Agent

from bedrock_auth import get_pydantic_ai_model

model = get_pydantic_ai_model(os.environ.get("BEDROCK_MODEL_ID", "claude-haiku-4-5"))
agent = Agent(model, instructions="Answer in one sentence.")


@agent.tool_plain
def get_weather(city: str) -> str:
    """The current weather in a city."""
    return f"sunny, 21 C in {city}"


print(agent.run_sync("What is Amazon Bedrock?").output)
print(agent.run_sync("What is the weather in Paris?").output)
