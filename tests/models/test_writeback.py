import json

import numpy as np
import pytest

from priorgraph.core.errors import UsageError
from priorgraph.core.version import code_version
from priorgraph.ingest.perturbseq import PerturbSeqConfig, ingest, synthetic_perturbseq
from priorgraph.models.writeback import (
    ModelRun,
    _chunks,
    delete_run,
    effect_rows,
    list_runs,
    show_run,
    write_run,
)

GENES = [f"G{i}" for i in range(12)]


def test_effect_rows_rank_by_absolute_delta_and_refuse_bad_input():
    rows = effect_rows("toy", {"G0+ctrl": np.array([0.1, -2.0, 0.5])}, 3)
    assert rows == [{"p": "toy/G0+ctrl", "offset": 0, "d": [0.1, -2.0, 0.5], "r": [3, 1, 2]}]
    with pytest.raises(ValueError, match="2 deltas for 3 genes"):
        effect_rows("toy", {"x": np.zeros(2)}, 3)
    with pytest.raises(ValueError, match="NaN"):
        effect_rows("toy", {"x": np.array([np.nan, 0, 0])}, 3)


def test_chunks_split_effects_into_batches_of_at_most_size_with_offsets():
    rows = [{"p": "a", "offset": 0, "d": list(range(5)), "r": list(range(5))},
            {"p": "b", "offset": 0, "d": list(range(3)), "r": list(range(3))}]  # fmt: skip
    batches = list(_chunks(rows, 4))
    assert [[(r["p"], r["offset"], len(r["d"])) for r in b] for b in batches] == [
        [("a", 0, 4)], [("a", 4, 1), ("b", 0, 3)],
    ]  # fmt: skip
    assert batches[1][0]["d"] == [4]


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


def test_write_run_is_idempotent_and_deletable(toy_graph):
    graph = toy_graph
    metrics = {"all": {"pearson_delta": 0.5, "mean_collapse": float("nan")}}
    run = ModelRun("additive", {"model": "additive"}, "toy", "s", "hash", metrics=metrics)
    deltas = {"G0+ctrl": np.linspace(-1, 1, 12), "G0+G1": np.ones(12)}
    assert write_run(graph, run, deltas, GENES, batch_size=7, progress=False) == 24
    assert write_run(graph, run, deltas, GENES, batch_size=7, progress=False) == 24
    assert count(graph) == 24
    row = graph.read(
        "MATCH (:Perturbation {id: 'toy/G0+ctrl'})-[e:PREDICTED_EFFECT]->(:Gene {id: 'human:G0'}) "
        "RETURN e.delta AS d, e.rank AS r, e.run AS run, e.source AS source"
    )
    assert row == [{"d": -1.0, "r": 1, "run": run.id, "source": "priorgraph.models"}]
    shown = show_run(graph, run.id)
    assert shown["metrics"] == {"all": {"pearson_delta": 0.5, "mean_collapse": None}}
    assert shown["pearson_delta"] == 0.5 and shown["n_effects"] == 24
    assert [r["id"] for r in list_runs(graph, "toy")] == [run.id]
    assert delete_run(graph, run.id) == 24
    assert count(graph) == 0 and list_runs(graph) == []
    with pytest.raises(UsageError, match="no model run"):
        show_run(graph, run.id)


def test_write_run_validates_before_writing(toy_graph):
    run = ModelRun("x", {}, "toy", "s", "h")
    with pytest.raises(UsageError, match="1 perturbations are not in the graph"):
        write_run(toy_graph, run, {"NOPE+ctrl": np.zeros(12)}, GENES, progress=False)
    with pytest.raises(UsageError, match="genes are not in the graph: human:ZZ"):
        write_run(toy_graph, run, {"G0+ctrl": np.zeros(13)}, [*GENES, "ZZ"], progress=False)
    assert count(toy_graph) == 0
    assert toy_graph.read("MATCH (r:ModelRun) RETURN count(r) AS n") == [{"n": 0}]
    assert json.loads(run.node(0)["config"]) == {}
