"""A LangChain chat model in one line, on shared validated clients (needs the langchain extra).

pip install "bedrock-auth[langchain]"
python examples/langchain_chat.py
"""

from bedrock_auth import get_llm

llm = get_llm("claude-sonnet-4-5", temperature=0, max_tokens=200)
print(llm.invoke("Give me one tip for using Amazon Bedrock.").text)
for chunk in llm.stream("Count to five."):
    print(chunk.text, end="", flush=True)
print()
