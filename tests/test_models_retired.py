"""Models AWS retired from Bedrock are refused by name, with the model to use instead."""

from __future__ import annotations

import pytest

from bedrock_auth import ModelNotAvailableError, is_bedrock_model, resolve_model_id
from bedrock_auth.models import RETIRED, get_model_info


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("claude-3-opus-20240229", "Claude 3 Opus (claude-3-opus-20240229) has been retired"),
        ("claude-3-sonnet-20240229", "Claude 3 Sonnet (claude-3-sonnet-20240229)"),
        ("anthropic.claude-3-opus-20240229-v1:0", "Claude 3 Opus"),
        ("us.anthropic.claude-3-sonnet-20240229-v1:0", "Claude 3 Sonnet"),
        ("Claude 2.1", "Claude 2.1"),
        ("claude-instant-1.2", "Claude Instant"),
    ],
)
def test_retired_model_names_the_replacement(name: str, says: str) -> None:
    with pytest.raises(ModelNotAvailableError, match="instead: model='claude-") as caught:
        resolve_model_id(name, "eu-west-1")
    assert says in str(caught.value)


@pytest.mark.parametrize(("model_id", "display", "names", "replacement"), RETIRED)
def test_each_replacement_is_in_the_catalog_and_callable(
    model_id: str, display: str, names: tuple[str, ...], replacement: str
) -> None:
    info = get_model_info(replacement)
    assert info is not None and info.provider == "anthropic"
    assert resolve_model_id(replacement, "us-east-1")
    assert get_model_info(model_id) is None  # retired models are not catalog entries
    assert not any(is_bedrock_model(name) for name in names)
