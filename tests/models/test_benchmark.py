import numpy as np
import pandas as pd
import pytest

from priorgraph.core.errors import UsageError
from priorgraph.ingest.perturbseq import PerturbSeqConfig, ingest, load_dataset
from priorgraph.models import benchmark, pipeline, writeback
from priorgraph.models.train import TrainConfig

# G0…G11 (synthetic_perturbseq); GO terms make G0~G1 and G2~G3 alike
TERMS = {f"G{i}": [f"T{i // 2}", "T9"] for i in range(12)}


def perturb_data(tmp_path):
    """Control, singles of G0–G3 and G4, and six doubles, in perturbench labels."""
    from priorgraph.ingest.perturbseq import synthetic_perturbseq

    adata = synthetic_perturbseq(seed=3, extra={"G4+ctrl": 30, "G1+G2": 30, "G4+G5": 30})
    labels = adata.obs["condition"].astype(str).str.replace("+ctrl", "", regex=False)
    adata.obs["condition"] = labels.replace("ctrl", "control").to_numpy()
    path = tmp_path / "toy.h5ad"
    adata.write_h5ad(path)
    return path


@pytest.fixture
def toy(graph, tmp_path):
    graph.write(
        "UNWIND $rows AS row MERGE (g:Gene {id: 'human:' + row.gene}) "
        "SET g.symbol = row.gene, g.species = 'human' "
        "WITH g, row UNWIND row.terms AS term MERGE (t:GOTerm {id: term}) "
        "MERGE (g)-[:ANNOTATED_WITH]->(t)",
        {"rows": [{"gene": g, "terms": t} for g, t in TERMS.items()]},
    )
    ingest(graph, perturb_data(tmp_path), PerturbSeqConfig("toy", min_cells=5), store=tmp_path,
           progress=False)  # fmt: skip
    return graph, tmp_path


def fast_options() -> pipeline.RunOptions:
    train = TrainConfig(steps=4, eval_every=2, batch_size=16, threads=1, progress=False)
    tiny = {m: pipeline.model_config(m, tiny=True) for m in pipeline.NEURAL}
    return pipeline.RunOptions(model_configs=tiny, train_config=train)


def test_doubles_protocol_runs_every_model_on_the_same_partitions(toy):
    graph, store = toy
    models = ["no_change", "additive", "go_neighbour", "graph_gp", "gears"]
    result = benchmark.run_benchmark(graph, "toy", protocol="doubles", folds=2, seed=1,
                                     models=models, options=fast_options(), store=store,
                                     out=store / "bench", progress=False)  # fmt: skip
    rows = result.rows
    pb = load_dataset("toy", store).pseudobulk()
    doubles = [c for c in pb.conditions if "+" in c]
    held = len(doubles) - round(len(doubles) / 2)
    assert len(rows) == 2 * len(models) * held
    for _, fold in rows.groupby("fold"):  # every model sees the same test perturbations
        per_model = fold.groupby("model")["perturbation"].apply(frozenset)
        assert per_model.nunique() == 1
    # categories follow the measured singles: G4+G5 has one, G0+G1 both
    assert set(rows.loc[rows["perturbation"] == "G4+G5", "category"]) <= {"double_one_single"}
    additive = rows[(rows["model"] == "additive") & (rows["category"] == "double_both_singles")]
    for _, row in additive.iterrows():
        a, b = row["perturbation"].split("+")
        predicted = pb.means[pb.row(a)] + pb.means[pb.row(b)] - pb.control_mean
        assert row["l2"] == pytest.approx(np.linalg.norm(predicted - pb.means[pb.row(
            row["perturbation"])]))  # fmt: skip
    # the summary: mean ± sd per category and model, shares beating the references
    summary = result.summary.set_index(["category", "model"])
    assert summary.loc[("all", "no_change"), "beats_no_change_l2"] == 0.0
    mean = rows.loc[rows["model"] == "graph_gp", "pearson_delta"].mean()
    assert summary.loc[("all", "graph_gp"), "pearson_delta_mean"] == pytest.approx(mean)
    assert {"double_unmeasured", "all"} <= set(result.summary["category"])
    # files: CSV tables, markdown and a PNG; every run is written back and saved
    saved = pd.read_csv(result.files["per_perturbation"])
    assert len(saved) == len(rows) and set(saved["model"]) == set(models)
    text = result.files["markdown"].read_text()
    assert "## double_both_singles" in text and "graph_gp" in text and " ± " in text
    assert result.files["plot"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    runs = writeback.list_runs(graph, "toy")
    assert len(runs) == 2 * len(models) and set(rows["run"]) == {r["id"] for r in runs}
    assert all((store / "toy" / "runs" / run / "run.json").is_file() for run in rows["run"])


def test_unseen_singles_protocol_and_unknown_models(toy):
    graph, store = toy
    result = benchmark.run_benchmark(graph, "toy", protocol="unseen-singles", folds=5, seed=0,
                                     models=["train_mean", "graph_gp"], store=store,
                                     write=False, progress=False)  # fmt: skip
    assert sorted(set(result.rows["perturbation"])) == ["G0", "G1", "G2", "G3", "G4"]
    assert set(result.rows["category"]) == {"single"}
    assert writeback.list_runs(graph, "toy") == []
    with pytest.raises(UsageError, match="unknown model"):
        benchmark.run_benchmark(graph, "toy", protocol="doubles", models=["gears2"], store=store)
