import numpy as np
import pandas as pd
import pytest

from priorgraph.core.errors import FeatureFileError, UsageError
from priorgraph.ingest.perturbseq import (
    PerturbSeqConfig,
    ingest,
    load_dataset,
    synthetic_perturbseq,
)
from priorgraph.ingest.splits import make_split
from priorgraph.models import runtime
from priorgraph.models.baselines import (
    Additive,
    GONeighbour,
    LinearModel,
    NoChange,
    TrainMean,
    make_model,
    read_features,
    run_baseline,
)
from priorgraph.models.predictor import TrainingSet
from priorgraph.queries.gene_similarity import GeneKernel

TRAIN = TrainingSet(
    genes=["a", "b", "c"],
    control=np.array([1.0, 1.0, 1.0]),
    conditions=["a+ctrl", "b+ctrl"],
    targets=[("a",), ("b",)],
    means=np.array([[0.0, 2.0, 1.0], [1.0, 0.0, 3.0]]),  # deltas [-1, 1, 0] and [0, -1, 2]
)


def test_simple_baselines_by_hand():
    assert NoChange().fit(TRAIN).predict([("c",)]).tolist() == [[1, 1, 1]]
    assert TrainMean().fit(TRAIN).predict([("c",)]).tolist() == [[0.5, 1.0, 2.0]]
    additive = Additive().fit(TRAIN)
    assert additive.predict([("a", "b"), ("c",), ("a",)]).tolist() == [
        [0, 1, 3], [1, 1, 1], [0, 2, 1],
    ]  # fmt: skip
    # partial additive: a double with one trained single gets that single's change only
    assert additive.predict_deltas([("a", "c")]).tolist() == [[-1, 1, 0]]


def test_go_neighbour_borrows_alpha_of_the_nearest_trained_single():
    # c is GO-closer to b (0.4) than to a (0.1); d shares no term with anything
    similarity = GeneKernel("toy", ["a", "b", "c", "d"], np.array([
        [1, 0.2, 0.1, 0], [0.2, 1, 0.4, 0], [0.1, 0.4, 1, 0], [0, 0, 0, 1.0]]))  # fmt: skip
    model = GONeighbour(similarity=similarity, alpha=0.3).fit(TRAIN)
    mu = np.array([-0.5, 0.0, 1.0])  # mean change of the trained singles a, b
    b = np.array([0.0, -1.0, 2.0])
    assert model.neighbour("c") == "b" and model.neighbour("d") is None
    np.testing.assert_allclose(model.predict_deltas([("c",)])[0], mu + 0.3 * (b - mu))
    np.testing.assert_allclose(model.predict_deltas([("d",)])[0], mu)
    # a trained single is predicted by its own change; a double sums its targets' parts
    np.testing.assert_allclose(model.predict_deltas([("a", "c")])[0],
                               np.array([-1, 1, 0]) + mu + 0.3 * (b - mu))  # fmt: skip
    assert model.config() == {"model": "go_neighbour", "alpha": 0.3, "similarity": "toy"}
    with pytest.raises(UsageError, match="alpha"):
        GONeighbour(similarity=similarity, alpha=1.5)


def test_linear_model_matches_the_ridge_formula():
    feats = pd.DataFrame([[1.0, 0.2], [0.3, 1.0]], index=["a", "b"])
    model = LinearModel(k=1, ridge=0.5, features=feats).fit(TRAIN)
    # independent computation of K = (GᵀG + λI)⁻¹ Gᵀ (Y − b) P (PᵀP + λI)⁻¹
    y = TRAIN.means.T
    b = y.mean(axis=1, keepdims=True)
    u, s, _ = np.linalg.svd(y - b, full_matrices=False)
    g = u[:, :1] * s[:1]
    p = feats.to_numpy()
    k = np.linalg.solve(g.T @ g + 0.5 * np.eye(1), g.T @ (y - b)) @ p
    k = k @ np.linalg.inv(p.T @ p + 0.5 * np.eye(2))
    q = np.array([[1.0, 0.2], [1.3, 1.2]])  # a alone, a + b
    expected = (g @ k @ q.T + b).T
    assert model.predict([("a",), ("a", "b")]) == pytest.approx(expected)


def test_linear_model_interpolates_training_data_without_ridge_and_pca_embeddings():
    model = LinearModel(k=2, ridge=0.0, features=pd.DataFrame(np.eye(2), index=["a", "b"]))
    assert model.fit(TRAIN).predict([("a",), ("b",)]) == pytest.approx(TRAIN.means)
    # a target without an embedding predicts b, the training mean, and is reported
    assert model.predict([("zz",)]) == pytest.approx(np.array([[0.5, 1.0, 2.0]]))
    assert model.missing == ["zz"]
    with pytest.raises(UsageError, match="pass features"):
        LinearModel()
    pca = LinearModel(k=1, ridge=0.1, embedding="pca").fit(TRAIN)  # P = rows of G
    assert pca.config() == {"model": "linear", "k": 1, "ridge": 0.1, "p": "pca"}
    assert pca.predict([("a",)]).shape == (1, 3)


def test_linear_model_runs_on_the_device_it_is_given(monkeypatch):
    monkeypatch.setattr(runtime.torch.cuda, "is_available", lambda: True)
    assert LinearModel(embedding="pca").device == runtime.torch.device("cuda")  # follows CUDA
    monkeypatch.setattr(runtime.torch.cuda, "is_available", lambda: False)
    assert LinearModel(embedding="pca").device == runtime.torch.device("cpu")
    model = LinearModel(k=1, ridge=0.1, embedding="pca", device="cpu").fit(TRAIN)
    assert model.g.device.type == "cpu" and model.kmat.device.type == "cpu"
    prediction = model.predict([("a",)])
    assert isinstance(prediction, np.ndarray) and prediction.dtype == np.float64


def test_make_model_and_features_file_errors(tmp_path):
    with pytest.raises(UsageError, match="unknown baseline 'gears'"):
        make_model("gears")
    bad = tmp_path / "f.csv"
    bad.write_text("gene,x\nA,1\nA,2\n")
    with pytest.raises(FeatureFileError, match="duplicated gene symbols, e.g. A"):
        read_features(bad)
    good = tmp_path / "f.tsv"
    good.write_text("gene\tx\ty\nA\t1\t2\n")
    assert read_features(good).loc["A"].tolist() == [1, 2]


def test_run_baseline_on_a_split_evaluates_only_held_out_conditions(tmp_path):
    path = tmp_path / "toy.h5ad"
    synthetic_perturbseq(seed=5).write_h5ad(path)
    ingest(None, path, PerturbSeqConfig("toy"), store=tmp_path, progress=False)
    record = load_dataset("toy", tmp_path)
    pb = record.pseudobulk()
    split = make_split("double", "d", record, seed=0)
    result = run_baseline(Additive(), pb, split, record.pseudobulk_sha256)
    assert sorted(result.predictions) == split.test
    assert result.evaluation.per_subgroup["all"]["n"] == len(split.test)
    # planted effects are additive in log space: additive beats no-change on doubles
    none = run_baseline(NoChange(), pb, split, record.pseudobulk_sha256)
    assert (
        result.evaluation.summary()["mse_top20_de_non_dropout"]
        < none.evaluation.summary()["mse_top20_de_non_dropout"]
    )
    assert result.run.id.startswith("additive-toy-d-")
    assert result.run.id == run_baseline(Additive(), pb, split, record.pseudobulk_sha256).run.id
