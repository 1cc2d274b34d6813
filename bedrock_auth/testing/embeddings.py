"""The embedding models' InvokeModel bodies: Titan, Cohere Embed and Nova multimodal embeddings.

Vectors are deterministic unit vectors derived from the input (the same text gets the same
vector, so similarity tests are reproducible); their size follows the request and the
model's capabilities in the model data (``embedding_dimensions``, whose first is the size
without a requested one, and ``embeddings_by_type``).
"""

from __future__ import annotations

import hashlib
import math
import struct
import uuid
from collections.abc import Callable
from typing import Any

from bedrock_auth._data import Capabilities

from .body_format import Family, Json, int_or_none
from .generation import count_tokens

#: The vector size of an embedding model the data gives none for.
_DEFAULT_SIZE = 1024


def default_size(model: Capabilities) -> int:
    """The model's vector size when the request names none."""
    return model.embedding_dimensions[0] if model.embedding_dimensions else _DEFAULT_SIZE


class Embedder(Family):
    """Base of the embedding families: no generation, no streaming."""

    streams = False

    def embed(self, body: Json, model: Capabilities) -> Json:
        """The InvokeModel answer to an embedding request."""
        raise NotImplementedError


def vector(text: str, dims: int) -> list[float]:
    """A unit vector of ``dims`` values derived from ``text``."""
    raw = b""
    counter = 0
    while len(raw) < dims * 4:
        raw += hashlib.sha256(f"{counter}:{text}".encode()).digest()
        counter += 1
    values = [v / 2**31 for v in struct.unpack(f">{dims}i", raw[: dims * 4])]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [round(v / norm, 6) for v in values]


def _bits(values: list[float], offset: int) -> list[int]:
    # One bit per value (positive: 1), packed eight to a byte, as Cohere's binary types are.
    out = []
    for i in range(0, len(values) - 7, 8):
        byte = sum(1 << (7 - j) for j, v in enumerate(values[i : i + 8]) if v > 0)
        out.append(byte - offset)
    return out


#: Cohere's ``embedding_types``: how each type encodes the float vector.
_COHERE_TYPES: dict[str, Callable[[list[float]], list[Any]]] = {
    "float": lambda v: v,
    "int8": lambda v: [round(x * 127) for x in v],
    "uint8": lambda v: [round((x + 1) * 127.5) for x in v],
    "binary": lambda v: _bits(v, 128),
    "ubinary": lambda v: _bits(v, 0),
}


class CohereEmbed(Embedder):
    """Cohere Embed: ``texts`` in; v3 answers a list of float vectors, v4 (and any request
    naming ``embedding_types``) vectors keyed by type, ``output_dimension`` values long."""

    name = "cohere-embed"
    required = ("texts", "input_type")

    def _texts(self, body: Json) -> list[str]:
        texts = body.get("texts")
        return [str(t) for t in texts] if isinstance(texts, list) else []

    def prompt(self, body: Json) -> str:
        return " ".join(self._texts(body))

    def input_tokens(self, body: Json) -> int:
        # The whole prompt, as the text-completion families count it.
        return count_tokens(self.prompt(body))

    def embed(self, body: Json, model: Capabilities) -> Json:
        texts = self._texts(body)
        types = body.get("embedding_types")
        by_type = model.embeddings_by_type or isinstance(types, list)
        dims = default_size(model)
        if model.embeddings_by_type:
            dims = int_or_none(body.get("output_dimension")) or dims
        vectors = [vector(t, dims) for t in texts]
        answer: Json = {
            "id": str(uuid.uuid5(uuid.NAMESPACE_OID, self.prompt(body))),
            "texts": texts,
        }
        if not by_type:
            return {**answer, "response_type": "embeddings_floats", "embeddings": vectors}
        wanted = [t for t in (types or ["float"]) if t in _COHERE_TYPES]
        embeddings = {t: [_COHERE_TYPES[t](v) for v in vectors] for t in wanted}
        return {**answer, "response_type": "embeddings_by_type", "embeddings": embeddings}


class TitanEmbed(Embedder):
    """Amazon Titan text embeddings: ``inputText`` in, ``embedding`` out (v2: ``dimensions``
    read, ``embeddingsByType`` added)."""

    name = "embed"
    required = ("inputText",)
    prompt_key = "inputText"

    def embed(self, body: Json, model: Capabilities) -> Json:
        if not model.embeddings_by_type:
            # v1 has a fixed size and predates ``dimensions`` and ``embeddingsByType``.
            return {
                "embedding": vector(self.prompt(body), default_size(model)),
                "inputTextTokenCount": self.input_tokens(body),
            }
        dims = int_or_none(body.get("dimensions")) or default_size(model)
        values = vector(self.prompt(body), dims)
        return {
            "embedding": values,
            "embeddingsByType": {"float": values},
            "inputTextTokenCount": self.input_tokens(body),
        }


_NOVA_MEDIA = ("text", "image", "video", "audio", "document")


class NovaEmbed(Embedder):
    """Amazon Nova multimodal embeddings: ``taskType`` and ``singleEmbeddingParams`` in,
    ``embeddings`` (one per input, with its ``embeddingType``) out."""

    name = "nova-embed"
    required = ("taskType",)

    @staticmethod
    def _params(body: Json) -> Json:
        params = body.get("singleEmbeddingParams")
        return params if isinstance(params, dict) else {}

    def prompt(self, body: Json) -> str:
        text = self._params(body).get("text")
        return str(text.get("value", "")) if isinstance(text, dict) else ""

    def input_tokens(self, body: Json) -> int:
        return count_tokens(self.prompt(body))

    def embed(self, body: Json, model: Capabilities) -> Json:
        params = self._params(body)
        dims = int_or_none(params.get("embeddingDimension")) or default_size(model)
        medium = next((m for m in _NOVA_MEDIA if m in params), "text")
        seed = self.prompt(body) or str(params.get(medium))
        return {"embeddings": [{"embedding": vector(seed, dims), "embeddingType": medium.upper()}]}
