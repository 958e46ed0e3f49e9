"""Adapting retrieval to a FAQ base: a softmax head over frozen embeddings, entries as labels.

Trained on the base's own phrasings whenever its content changes (in the background; it
never blocks answering). A query's head probability for an entry is fused with its dense and
lexical scores. Cheap: one L-BFGS fit of a (dimension × entries) matrix, about a second for a
few thousand phrasings on one core.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import torch


@dataclass(frozen=True, slots=True)
class HeadConfig:
    """Hyperparameters of the entry head (tuned on the dev queries).

    Attributes:
        max_entries: bases with more searchable entries are not adapted (dense + BM25 only).
        scale: logit scale applied to cosine-like scores (a temperature).
        weight_decay: L2 penalty on the weights.
        iterations: L-BFGS iterations.
    """

    max_entries: int = 2000
    scale: float = 10.0
    weight_decay: float = 1e-3
    iterations: int = 200


class EntryHead:
    """A trained head: ``softmax(scale * q @ W + b)`` over ``entry_ids``.

    ``content_key`` names the base content it was trained on; a head whose key differs from
    the index's is stale and not used.
    """

    def __init__(
        self, weights: np.ndarray, bias: np.ndarray, entry_ids: np.ndarray, content_key: str
    ) -> None:
        self.weights = weights
        self.bias = bias
        self.entry_ids = entry_ids
        self.content_key = content_key

    def probabilities(self, queries: np.ndarray) -> np.ndarray:
        """Entry probabilities, one row per query, columns in ``entry_ids`` order."""
        logits = queries @ self.weights + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        result: np.ndarray = exp / exp.sum(axis=1, keepdims=True)
        return result


def train_head(
    vectors: np.ndarray,
    entry_ids: np.ndarray,
    content_key: str,
    config: HeadConfig,
) -> EntryHead | None:
    """Fit the head on phrasing vectors labelled by their entry ids.

    Returns None when there are fewer than two entries (nothing to tell apart) or more than
    ``config.max_entries``.
    """
    labels, inverse = np.unique(entry_ids, return_inverse=True)
    if len(labels) < 2 or len(labels) > config.max_entries:
        return None
    x = torch.from_numpy(np.ascontiguousarray(vectors, dtype=np.float32))
    y = torch.from_numpy(inverse.astype(np.int64))
    weights = torch.zeros(x.shape[1], len(labels), requires_grad=True)
    bias = torch.zeros(len(labels), requires_grad=True)
    optimiser = torch.optim.LBFGS(
        [weights, bias], max_iter=config.iterations, line_search_fn="strong_wolfe"
    )

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        loss = torch.nn.functional.cross_entropy(x @ weights * config.scale + bias, y)
        loss = loss + config.weight_decay * (weights**2).sum()
        cast(Any, loss).backward()
        return loss

    cast(Any, optimiser).step(closure)
    return EntryHead(
        weights.detach().numpy() * config.scale,
        bias.detach().numpy(),
        labels.astype(np.int64),
        content_key,
    )
