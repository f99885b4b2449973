import numpy as np
import pytest

from priorgraph.core.errors import UsageError
from priorgraph.ingest.perturbseq import PerturbSeqConfig, ingest, synthetic_perturbseq
from priorgraph.kg import cypher
from priorgraph.models.effect_selection import EffectSelection
from priorgraph.models.writeback import ModelRun, write_run
from priorgraph.queries.effects import (
    gene_effects,
    gene_effects_all,
    perturbation_effects,
    plot_predicted_vs_observed,
)

GENES = [f"G{i}" for i in range(12)]


@pytest.fixture
def with_run(graph, tmp_path):
    path = tmp_path / "toy.h5ad"
    synthetic_perturbseq(seed=1).write_h5ad(path)
    ingest(graph, path, PerturbSeqConfig("toy"), store=tmp_path, progress=False)
    run = ModelRun("m", {}, "toy", "s", "h", id="run1")
    deltas = {"G0+ctrl": np.zeros(12), "G1+ctrl": np.zeros(12)}
    deltas["G0+ctrl"][6], deltas["G1+ctrl"][6] = 0.5, -0.75
    write_run(graph, run, deltas, GENES, directory=tmp_path / "run1", progress=False)
    return graph


def test_effects_queries_take_every_value_as_a_parameter(with_run):
    assert cypher.get("effects_gene").parameters == ("dataset", "gene", "run", "top")
    assert cypher.get("effects_perturbation").parameters == ("condition", "dataset", "run", "top")
    injected = "G6'}) DETACH DELETE g //"
    assert gene_effects(with_run, injected, run="run1") == []
    assert perturbation_effects(with_run, injected, dataset="toy") == []
    assert len(gene_effects(with_run, "G6", run="run1", top=50)) > 1  # the graph is intact
    assert with_run.read("MATCH (g:Gene) RETURN count(g) AS n") == [{"n": 12}]


def test_gene_effects_lists_predicted_and_observed_with_ranks(with_run):
    rows = gene_effects(with_run, "G6", run="run1", top=5)
    assert [(r["perturbation"], r["predicted"], r["rank"]) for r in rows[:2]] == [
        ("G1+ctrl", -0.75, 1), ("G0+ctrl", 0.5, 1),
    ]  # fmt: skip
    # G0 knock-down raises G6: observed and among its top DE genes
    g0 = next(r for r in rows if r["perturbation"] == "G0+ctrl")
    assert g0["observed"] > 0.5 and g0["de_rank"] <= 2
    # conditions only observed (no prediction of run1) appear with predicted = None
    assert any(r["predicted"] is None and r["observed"] is not None for r in rows)
    assert len(rows) == 5
    assert gene_effects(with_run, "G6", run="other", top=50)[0]["run"] is None


def test_perturbation_effects_lists_genes(with_run):
    rows = perturbation_effects(with_run, "G0+ctrl", run="run1", top=3, dataset="toy")
    assert (rows[0]["gene"], rows[0]["predicted"]) == ("G6", 0.5) and rows[0]["observed"] > 0.5
    assert rows[1]["gene"] == "G0" and rows[1]["predicted"] == 0.0 and rows[1]["observed"] < -1
    assert len(rows) == 3
    assert perturbation_effects(with_run, "G0+ctrl", dataset="other") == []


def test_plot_predicted_vs_observed_writes_a_png(with_run, tmp_path):
    path = plot_predicted_vs_observed(with_run, "toy", "G0+ctrl", "run1", tmp_path / "p.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(UsageError, match="no condition 'ZZ\\+ctrl'"):
        plot_predicted_vs_observed(with_run, "toy", "ZZ+ctrl", "run1", tmp_path / "q.png")


def test_gene_effects_all_reads_every_value_from_the_matrix(with_run, tmp_path):
    run = ModelRun("m", {}, "toy", "s", "h", id="run2")
    deltas = {f"G{i}+ctrl": np.full(12, 0.01 * i) for i in range(2)}
    keep_none = EffectSelection(top_per_perturbation=0, top_per_gene=0, threshold=None)
    assert write_run(with_run, run, deltas, GENES, directory=tmp_path / "run2",
                     selection=keep_none, progress=False) == 0  # fmt: skip
    assert gene_effects(with_run, "G6", run="run2", top=50)[0]["run"] is None  # not in the graph
    rows = gene_effects_all(with_run, "G6", run="run2")
    assert [(r["perturbation"], r["run"], r["predicted"], r["sd"]) for r in rows] == [
        ("G1+ctrl", "run2", pytest.approx(0.01), None), ("G0+ctrl", "run2", 0.0, None),
    ]  # fmt: skip
    every = gene_effects_all(with_run, "G6", dataset="toy")
    assert [(r["run"], r["perturbation"]) for r in every] == [
        ("run1", "G1+ctrl"), ("run1", "G0+ctrl"), ("run2", "G1+ctrl"), ("run2", "G0+ctrl"),
    ]  # fmt: skip
    assert gene_effects_all(with_run, "NOPE") == []
    with pytest.raises(UsageError, match="'nope' is not in the graph or has no prediction"):
        gene_effects_all(with_run, "G6", run="nope")
