import json

import numpy as np
import pytest

from priorgraph.core.errors import UsageError
from priorgraph.core.predictions import PredictionMatrix
from priorgraph.core.version import code_version
from priorgraph.ingest.perturbseq import PerturbSeqConfig, ingest, synthetic_perturbseq
from priorgraph.models.effect_selection import EffectSelection
from priorgraph.models.writeback import (
    ModelRun,
    delete_run,
    effect_batches,
    list_runs,
    prediction_matrix,
    show_run,
    write_learned_edges,
    write_run,
)

GENES = [f"G{i}" for i in range(12)]


def test_prediction_matrix_checks_every_vector():
    conditions, matrix = prediction_matrix("deltas", {"G0+ctrl": np.array([0.1, -2.0, 0.5])}, 3)
    assert conditions == ["G0+ctrl"] and matrix.dtype == np.float32
    assert matrix.tolist() == [[np.float32(0.1), -2.0, 0.5]]
    with pytest.raises(ValueError, match="2 deltas for 3 genes"):
        prediction_matrix("deltas", {"x": np.zeros(2)}, 3)
    with pytest.raises(ValueError, match="sds contain NaN"):
        prediction_matrix("sds", {"x": np.array([np.nan, 0, 0])}, 3)


def test_effect_batches_hold_at_most_size_effects_per_condition_as_arrays():
    delta = np.arange(12, dtype=np.float32).reshape(2, 6)
    rows, cols = np.array([0, 0, 0, 0, 0, 1, 1]), np.array([0, 1, 2, 4, 5, 1, 3])
    ranks = np.arange(1, 8)
    batches = list(effect_batches(["a", "b"], rows, cols, ranks, delta, None, size=4))
    assert [[(r["c"], r["g"]) for r in b] for b in batches] == [
        [("a", [0, 1, 2, 4])], [("a", [5]), ("b", [1, 3])],
    ]  # fmt: skip
    assert batches[1][1]["d"] == [7.0, 9.0] and batches[1][1]["r"] == [6, 7]
    assert batches[1][1]["s"] is None
    with_sd = list(effect_batches(["a", "b"], rows, cols, ranks, delta, -delta, size=10))
    assert with_sd[0][1]["s"] == [-7.0, -9.0]


def test_run_id_is_stable_for_the_same_run_of_the_same_code():
    a = ModelRun("linear", {"k": 10}, "toy", "s", "abc", code_version="1")
    assert a.id == ModelRun("linear", {"k": 10}, "toy", "s", "abc", code_version="1").id
    assert a.id != ModelRun("linear", {"k": 5}, "toy", "s", "abc", code_version="1").id
    # a run of changed code gets its own id: it must not overwrite the older run's effects
    assert a.id != ModelRun("linear", {"k": 10}, "toy", "s", "abc", code_version="2").id
    current = ModelRun("linear", {"k": 10}, "toy", "s", "abc")
    assert current.code_version == code_version()
    assert current.id == ModelRun("linear", {"k": 10}, "toy", "s", "abc",
                                  code_version=code_version()).id  # fmt: skip


@pytest.fixture
def toy_graph(graph, tmp_path):
    path = tmp_path / "toy.h5ad"
    synthetic_perturbseq(seed=1).write_h5ad(path)
    ingest(graph, path, PerturbSeqConfig("toy"), store=tmp_path, progress=False)
    return graph


def count(graph) -> int:
    return graph.read("MATCH ()-[e:PREDICTED_EFFECT]->() RETURN count(e) AS n")[0]["n"]


def test_write_run_keeps_every_value_in_the_matrix_and_the_strongest_in_the_graph(
    toy_graph, tmp_path
):
    graph = toy_graph
    metrics = {"all": {"pearson_delta": 0.5, "mean_collapse": float("nan")}}
    run = ModelRun("additive", {"model": "additive"}, "toy", "s", "hash", metrics=metrics)
    deltas = {"G0+ctrl": np.linspace(-1, 1, 12), "G0+G1": np.full(12, 0.5)}
    deltas["G0+G1"][3] = 2.0
    sd = {c: np.abs(d) / 10 for c, d in deltas.items()}
    keep = EffectSelection(top_per_perturbation=2, top_per_gene=0, threshold=0.9)
    n = write_run(graph, run, deltas, GENES, directory=tmp_path / "run", sd=sd, selection=keep,
                  batch_size=3, progress=False)  # fmt: skip
    # G0+ctrl: |-1| at G0 and |1| at G11 (top 2 and >= 0.9); G0+G1: 2.0 at G3, 0.5 at G0 (top 2)
    assert n == count(graph) == 4
    rows = graph.read(
        "MATCH (p:Perturbation)-[e:PREDICTED_EFFECT]->(g:Gene) RETURN p.condition AS c, "
        "g.symbol AS g, e.delta AS d, e.rank AS r, e.sd AS sd, e.run AS run, e.source AS src "
        "ORDER BY c, r"
    )
    assert [(r["c"], r["g"], r["r"]) for r in rows] == [
        ("G0+G1", "G3", 1), ("G0+G1", "G0", 2), ("G0+ctrl", "G0", 1), ("G0+ctrl", "G11", 2),
    ]  # fmt: skip
    assert rows[0]["d"] == 2.0 and rows[0]["sd"] == pytest.approx(0.2)
    assert {(r["run"], r["src"]) for r in rows} == {(run.id, "priorgraph.models")}
    shown = show_run(graph, run.id)
    assert shown["metrics"] == {"all": {"pearson_delta": 0.5, "mean_collapse": None}}
    assert shown["pearson_delta"] == 0.5 and shown["n_effects"] == 4 and shown["has_sd"]
    assert json.loads(shown["selection"]) == keep.as_dict()
    matrix = PredictionMatrix.open(shown["matrix_path"], sha256=shown["matrix_sha256"])
    assert matrix.shape == (2, 12) and matrix.conditions == ["G0+ctrl", "G0+G1"]
    delta, spread = matrix.gene("human:G5")
    assert delta.tolist() == pytest.approx([deltas["G0+ctrl"][5], 0.5])
    assert spread.tolist() == pytest.approx([abs(deltas["G0+ctrl"][5]) / 10, 0.05])


def test_write_run_is_idempotent_replaces_in_one_step_and_is_deletable(toy_graph, tmp_path):
    graph = toy_graph
    run = ModelRun("additive", {"model": "additive"}, "toy", "s", "hash")
    deltas = {"G0+ctrl": np.linspace(-1, 1, 12), "G0+G1": np.ones(12)}
    directory = tmp_path / "run"
    assert write_run(graph, run, deltas, GENES, directory=directory, progress=False) == 24
    version = graph.read("MATCH ()-[e:PREDICTED_EFFECT]->() RETURN DISTINCT e.version AS v")
    assert write_run(graph, run, deltas, GENES, directory=directory, progress=False) == 24
    assert graph.read("MATCH ()-[e:PREDICTED_EFFECT]->() RETURN DISTINCT e.version AS v") == (
        version
    )  # the same predictions again: nothing rewritten
    row = graph.read(
        "MATCH (:Perturbation {id: 'toy/G0+ctrl'})-[e:PREDICTED_EFFECT]->(:Gene {id: 'human:G0'}) "
        "RETURN e.delta AS d, e.rank AS r"
    )
    assert row == [{"d": -1.0, "r": 1}]
    # new predictions replace the old: one version, one matrix folder
    deltas["G0+ctrl"] = -deltas["G0+ctrl"]
    assert write_run(graph, run, deltas, GENES, directory=directory, progress=False) == 24
    assert graph.read("MATCH (:Perturbation {id: 'toy/G0+ctrl'})-[e:PREDICTED_EFFECT]->"
                      "(:Gene {id: 'human:G0'}) RETURN e.delta AS d") == [{"d": 1.0}]  # fmt: skip
    assert count(graph) == 24 and len(list(directory.iterdir())) == 1
    assert [r["id"] for r in list_runs(graph, "toy")] == [run.id]
    assert delete_run(graph, run.id) == 24
    assert count(graph) == 0 and list_runs(graph) == [] and not any(directory.iterdir())
    with pytest.raises(UsageError, match="no model run"):
        show_run(graph, run.id)


def test_write_run_switches_effects_and_learned_edges_together(toy_graph, tmp_path):
    graph = toy_graph
    run = ModelRun("adapert", {}, "toy", "s", "hash")
    edges = [{"start": "human:G0", "end": "human:G1", "run": run.id, "perturbation": p,
              "weight": 0.5, "gate": 1.0} for p in ("toy/G0+ctrl", "toy/G0+G1")]  # fmt: skip
    deltas = {"G0+ctrl": np.linspace(-1, 1, 12)}
    write_run(graph, run, deltas, GENES, directory=tmp_path / "run", learned_edges=edges,
              progress=False)  # fmt: skip
    sets = graph.read("MATCH (s:RelationshipSet) RETURN s.type AS t, s.run AS run, s.count AS n "
                      "ORDER BY t")  # fmt: skip
    assert sets == [{"t": "LEARNED_EDGE", "run": run.id, "n": 2},
                    {"t": "PREDICTED_EFFECT", "run": run.id, "n": 12}]  # fmt: skip
    assert write_learned_edges(graph, run, edges[:1]) == 1
    assert graph.read("MATCH ()-[e:LEARNED_EDGE]->() RETURN e.perturbation AS p") == [
        {"p": "toy/G0+ctrl"}
    ]
    with pytest.raises(UsageError, match="learned edges name unknown genes: human:NOPE"):
        write_learned_edges(graph, run, [{**edges[0], "end": "human:NOPE"}])
    with pytest.raises(ValueError, match="learned edge of run 'other'"):
        write_learned_edges(graph, run, [{**edges[0], "run": "other"}])


def test_write_run_validates_before_writing(toy_graph, tmp_path):
    run = ModelRun("x", {}, "toy", "s", "h")
    directory = tmp_path / "run"
    with pytest.raises(UsageError, match="1 perturbations are not in the graph"):
        write_run(toy_graph, run, {"NOPE+ctrl": np.zeros(12)}, GENES, directory=directory,
                  progress=False)  # fmt: skip
    with pytest.raises(UsageError, match="genes are not in the graph: human:ZZ"):
        write_run(toy_graph, run, {"G0+ctrl": np.zeros(13)}, [*GENES, "ZZ"], directory=directory,
                  progress=False)  # fmt: skip
    assert count(toy_graph) == 0 and not directory.exists()
    assert toy_graph.read("MATCH (r:ModelRun) RETURN count(r) AS n") == [{"n": 0}]
    assert json.loads(run.node(0)["config"]) == {}
