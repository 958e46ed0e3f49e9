"""BM25 over phrasings (bm25s), with English stemming when PyStemmer is installed."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence

import bm25s
import numpy as np
from bm25s.tokenization import Tokenizer

logging.getLogger("bm25s").setLevel(logging.WARNING)


def _stemmer() -> Callable[[str], str] | None:
    try:
        import Stemmer  # type: ignore[import-not-found, unused-ignore]  # PyStemmer; optional
    except ImportError:
        return None
    stem: Callable[[str], str] = Stemmer.Stemmer("english").stemWord
    return stem


_WORD = re.compile(r"(?u)\b\w\w+\b")  # bm25s' own token pattern
# Words that make no question of a topic word: "my refund?", "delivery please". Not a
# stop-word list: "where is my order" is a question, "order" alone is not.
_FILLERS = frozenset({
    "a", "an", "the", "my", "your", "our", "his", "her", "its", "their", "this", "that",
    "these", "those", "some", "any", "please", "pls", "thanks", "thank", "hi", "hello",
    "hey", "ok", "okay",
})  # fmt: skip


# Thai, Lao, Myanmar, Khmer, kana and CJK ideographs: a whole sentence is one "word" to \w+.
_UNSPACED = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)


def words(text: str) -> list[str]:
    """The message's words, lowercased, as BM25 tokenises them."""
    return _WORD.findall(text.lower())


def meaningful_words(text: str) -> int | None:
    """How many of the message's words are not fillers ("my address?": 1); None for text in
    a script written without spaces between words, whose words this cannot count."""
    if _UNSPACED.search(text):
        return None
    return sum(1 for word in words(text) if word not in _FILLERS)


class LexicalIndex:
    """An immutable BM25 index of phrasings, each known by its phrasing id.

    ``versions`` records the entry versions it was built from, so a searcher can drop hits
    of entries edited since (a large base rebuilds its lexical index in the background).
    """

    def __init__(self, ids: np.ndarray, texts: Sequence[str], versions: Mapping[int, int]) -> None:
        self.ids = np.asarray(ids, dtype=np.int64)
        self.versions = dict(versions)
        self._tokenizer = Tokenizer(stopwords="en", stemmer=_stemmer())
        self._empty = -1
        self._bm25: bm25s.BM25 | None = None
        if len(texts):
            tokens = self._tokenizer.tokenize(list(texts), show_progress=False)
            self._bm25 = bm25s.BM25()
            self._bm25.index(tokens, show_progress=False)
            self._empty = self._tokenizer.get_vocab_dict().get("", -1)

    def search(self, text: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` (BM25 scores, phrasing ids) with a positive score, best first."""
        if self._bm25 is None:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        tokens = self._tokenizer.tokenize(
            [text], update_vocab=False, show_progress=False, return_as="ids"
        )[0]
        vocab = self._bm25.vocab_dict
        known = [vocab[t] for t in tokens if t in vocab and t != self._empty]
        if not known:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        # Scoring directly (not bm25s' retrieve, which starts a thread pool per call).
        scores = np.asarray(self._bm25.get_scores_from_ids(known), dtype=np.float32)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top])]
        top = top[scores[top] > 0]
        return scores[top], self.ids[top]
