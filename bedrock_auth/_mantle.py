"""Where bedrock-mantle serves a model: its id there and the API path, from the model data.

Shared by the Anthropic, LangChain and pydantic-ai adapters (the OpenAI adapter routes its own
paths, :mod:`._openai`); imports no SDK.
"""

from __future__ import annotations

from bedrock_auth.errors import ModelNotAvailableError
from bedrock_auth.models import get_model_info

__all__ = ["ANTHROPIC_PATH", "OPENAI_PATHS", "route"]

#: The model data's ``mantle.path`` of Anthropic's Messages API on Mantle (Claude).
ANTHROPIC_PATH = "/anthropic"
#: Mantle's OpenAI-compatible paths; the first serves a model the data does not know.
OPENAI_PATHS = ("/v1", "/openai/v1")


def route(model: str, paths: tuple[str, ...], caller: str) -> tuple[str, str]:
    """(Mantle's id, its path) for ``model`` (an alias too), which must be one of ``paths``.

    A model unknown to the data is taken as given: Claude (``anthropic.*``) on
    :data:`ANTHROPIC_PATH`, any other on ``/v1``. One the data keeps elsewhere (or off Mantle)
    is refused before anything is sent, naming what ``caller`` can do instead.
    """
    info = get_model_info(model)
    if info is None:
        served = model, ANTHROPIC_PATH if model.startswith("anthropic.") else OPENAI_PATHS[0]
    elif info.mantle is not None:
        served = info.mantle.model_id, info.mantle.path
    else:
        served = model, ""
    if served[1] in paths:
        return served
    where = f"only at {served[1]}" if served[1] else "not at all"
    known = f" ({info.model_id})" if info is not None else ""
    raise ModelNotAvailableError(
        f"{model}{known} is served on bedrock-mantle {where}, as far as bedrock-auth's model "
        f"data knows; {caller} needs a model served at {' or '.join(paths)}. Use "
        "endpoint='runtime', or a model the data puts there "
        "(bedrock_auth.models.get_model_info(name).mantle)."
    )
