"""Cutting a long fact into pieces the embedding model reads whole.

MiniLM reads 256 word pieces and silently drops the rest, so a fact's tail would never be found
by meaning. A text over the model's window is cut at sentence ends (or, for a run-on sentence,
between words) into chunks that each fit; every chunk gets its own vector and a search hit on
any chunk returns the fact once. Pure functions: the token counter comes from the embedder.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

TokenCounter = Callable[[Sequence[str]], list[int]]
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n\s*")


def chunk_text(text: str, window: int, count: TokenCounter) -> list[str]:
    """`text` as one chunk if it fits in `window` tokens, else as consecutive chunks that do."""
    if count([text])[0] <= window:
        return [text]
    pieces = [p for p in _SENTENCE_END.split(text) if p.strip()]
    sizes = count(pieces)
    units: list[tuple[str, int]] = []
    for piece, size in zip(pieces, sizes, strict=True):
        if size <= window:
            units.append((piece, size))
        else:
            units.extend(_split_words(piece, size, window, count))
    chunks: list[str] = []
    current: list[str] = []
    used = 0
    for piece, size in units:
        # +1: the joining space may start a new word piece.
        if current and used + size + 1 > window:
            chunks.append(" ".join(current))
            current, used = [], 0
        current.append(piece)
        used += size + (1 if len(current) > 1 else 0)
    if current:
        chunks.append(" ".join(current))
    return chunks


def _split_words(piece: str, size: int, window: int, count: TokenCounter) -> list[tuple[str, int]]:
    """A sentence longer than the window, cut between words into parts that fit."""
    words = piece.split()
    parts = max(2, math.ceil(size / (window * 0.9)))
    while True:
        step = max(1, math.ceil(len(words) / parts))
        groups = [" ".join(words[i : i + step]) for i in range(0, len(words), step)]
        sizes = count(groups)
        if max(sizes) <= window or step == 1:
            return list(zip(groups, sizes, strict=True))
        parts *= 2
