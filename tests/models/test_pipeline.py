"""Graph → tensors → trained model → metrics → graph, on one graph prepared once for the module.

The graph (generated GO annotations, a GO graph, a simulated data set, its split and
co-expression graph) is built once; each test starts from it and :func:`prepared` removes what
a test added (model runs, embeddings and their indexes, co-expression graphs of other splits,
sources), so the tests do not see each other's writes.
"""

import json
import logging
from dataclasses import replace
from types import SimpleNamespace

import anndata as ad
import numpy as np
import pytest
import torch

from priorgraph.core.errors import UsageError
from priorgraph.ingest import genept, sample
from priorgraph.ingest.go_graph import GOGraphSpec, build_go_graph
from priorgraph.ingest.perturbseq import PerturbSeqConfig, ingest, load_dataset
from priorgraph.ingest.splits import (
    build_coexpression,
    load_split,
    make_split,
    splits_dir,
    write_coexpression,
)
from priorgraph.kg import cypher, ids
from priorgraph.kg.connection import Graph
from priorgraph.kg.schema import KINDS
from priorgraph.kg.writer import Provenance
from priorgraph.models import pipeline, writeback
from priorgraph.models.metrics import evaluate
from priorgraph.models.predictor import TrainingSet
from priorgraph.models.simulate import SimulationConfig, simulate
from priorgraph.models.train import TrainConfig, load_checkpoint
from priorgraph.queries.effects import run_matrices

N_GENES = 24
SIM = SimulationConfig(n_genes=N_GENES, n_singles=8, n_doubles=8, cells_per_condition=25,
                       control_cells=100, seed=2)  # fmt: skip


def prepare(graph, store, n_genes: int = N_GENES) -> None:
    """Generated GO annotations → GO graph 'g' → simulated data from its edges → ingest → split.

    The data set lacks GENE{n_genes} (a target added by hand is not measured)."""
    sample.load_sample(graph, sample.generated_sample(n_genes=n_genes + 1, n_terms=30, seed=1))
    build_go_graph(graph, GOGraphSpec("g"), progress=False)
    _, prior = pipeline.go_prior(graph, "g")
    sim = simulate(SIM, genes=[f"GENE{i}" for i in range(n_genes)], prior_edges=prior)
    adata = sim.adata
    unmeasured = adata[adata.obs["condition"] == adata.obs["condition"].iloc[-1]].copy()
    unmeasured.obs["condition"] = f"GENE{n_genes}+ctrl"
    unmeasured.obs_names = [f"extra{i}" for i in range(unmeasured.n_obs)]
    adata = ad.concat([adata, unmeasured], merge="same")
    path = store / "sim.h5ad"
    adata.write_h5ad(path)
    ingest(graph, path, PerturbSeqConfig("sim"), store=store, progress=False)
    record = load_dataset("sim", store)
    split = make_split("simulation", "s1", record, seed=1)
    split.save(splits_dir("sim", store))
    write_coexpression(graph, record, split, build_coexpression(record, split), progress=False)


def sources(graph) -> set[str]:
    return {r["id"] for r in graph.read("MATCH (s:Source) RETURN s.id AS id")}


@pytest.fixture(scope="module")
def shared(neo4j_settings, clean_graph, tmp_path_factory):
    store = tmp_path_factory.mktemp("pipeline")
    with Graph(neo4j_settings) as graph:
        clean_graph(graph)
        prepare(graph, store)
        yield graph, store, sources(graph)


@pytest.fixture
def prepared(shared):
    """The shared graph and data-set store; afterwards, what the test added is removed."""
    graph, store, base_sources = shared
    yield graph, store
    for run in writeback.list_runs(graph):
        writeback.delete_run(graph, run["id"])
    for kind in KINDS.values():
        genept.remove(graph, kind)
    graph.write(
        "MATCH (s:Source) WHERE NOT s.id IN $keep DETACH DELETE s", {"keep": list(base_sources)}
    )


def options(**settings) -> pipeline.RunOptions:
    """Tiny, fast settings: the stored GO graph 'g', a few pseudobulk steps."""
    tiny = {m: pipeline.model_config(m, tiny=True) for m in pipeline.NEURAL}
    train = TrainConfig(steps=6, eval_every=2, mode="pseudobulk", threads=1, progress=False)
    return pipeline.RunOptions(**{"go_graph": "g", "model_configs": tiny, "train_config": train,
                                  **settings})  # fmt: skip


def priors_of(graph, store, **settings) -> pipeline.Priors:
    pb = load_dataset("sim", store).pseudobulk()
    return pipeline.Priors(graph, pb, species="human", options=options(**settings))


def test_inputs_align_the_go_and_coexpression_exports(prepared):
    graph, store = prepared
    record = load_dataset("sim", store)
    pb = record.pseudobulk()
    split = load_split("sim", "s1", store)
    priors = priors_of(graph, store)
    inputs = pipeline.build_inputs(graph, pb, split, prior=priors.go_graph)
    nodes = inputs.go.node_ids["node"]
    assert nodes[:N_GENES] == [ids.gene_id(g) for g in pb.genes]
    assert nodes[N_GENES:] == [ids.gene_id(f"GENE{N_GENES}")]  # unmeasured target last
    assert inputs.pert_to_gene.tolist() == [*range(N_GENES), -1]
    # co-expression edges re-indexed onto the pseudobulk gene order
    coexp = {(inputs.gene_ids[s], inputs.gene_ids[t])
             for s, t in inputs.coexp_edge_index.t().tolist()}  # fmt: skip
    rows = cypher.run(graph, "coexpression_edges", dataset="sim", split="s1")
    stored = {(r["source"], r["target"]) for r in rows}
    assert coexp == stored
    data = inputs.data(pb, "human")
    i = data.conditions.index(f"GENE{N_GENES}+ctrl")
    assert data.perts[i].tolist()[0] == N_GENES
    np.testing.assert_allclose(data.delta.numpy(), pb.deltas, atol=1e-6)


def test_adapert_gets_the_sign_of_coexpression_and_gears_its_size(prepared):
    graph, store = prepared
    record = load_dataset("sim", store)
    signed = replace(load_split("sim", "s1", store), name="signed")
    edges = [("GENE0", "GENE1", -0.8, 2), ("GENE2", "GENE1", 0.6, 3), ("GENE1", "GENE1", 1.0, 1)]
    write_coexpression(graph, record, signed, edges, progress=False)
    prior = priors_of(graph, store).go_graph
    inputs = pipeline.build_inputs(graph, record.pseudobulk(), signed, prior=prior)
    data = inputs.data(record.pseudobulk(), "human")
    gears, adapert = inputs.model_kwargs("gears", data), inputs.model_kwargs("adapert", data)
    assert sorted(gears["coexp_edge_weight"].tolist()) == pytest.approx([0.6, 0.8, 1.0])
    assert sorted(adapert["coexp_edge_weight"].tolist()) == pytest.approx([-0.8, 0.6, 1.0])
    model = pipeline.NEURAL["adapert"](**adapert, config=pipeline.model_config("adapert"))
    pair = [inputs.gene_ids.index("human:GENE0"), inputs.gene_ids.index("human:GENE1")]
    edge = model.pool_edge_index.t().tolist().index(pair)
    assert model.pool_edge_attr[edge, 1].item() == pytest.approx(-0.8)


def test_adapert_run_writes_effects_learned_edges_and_checkpoint(prepared):
    graph, store = prepared
    result = pipeline.train_run(graph, "sim", "s1", "adapert", options=options(), store=store,
                                progress=False)  # fmt: skip
    metrics = result.evaluation.per_subgroup["all"]
    assert {"weighted_mse", "weighted_delta_r2", "pearson_delta", "pds"} <= set(metrics)
    n_test = len(result.predictions)
    assert result.n_effects == n_test * N_GENES
    predictor = result.predictor
    history = predictor.summary.history
    assert len(history) == 3 and {"mse", "centered", "l0", "val_mse", "step"} <= set(history[-1])
    # every condition of the data set gets its learned subgraph
    learned = {r["perturbation"] for r in graph.read(
        "MATCH ()-[e:LEARNED_EDGE {run: $run}]->() RETURN DISTINCT e.perturbation AS perturbation",
        {"run": result.run.id})}  # fmt: skip
    assert learned == {ids.perturbation_id("sim", c) for c in predictor.data.conditions}
    for condition in predictor.data.conditions:
        rows = writeback.learned_edges(graph, ids.perturbation_id("sim", condition), result.run.id)
        # open gates, strongest message first; or, all gates shut, the one strongest candidate
        assert all(0.5 <= r["gate"] <= 1 and r["weight"] > 0 for r in rows) or len(rows) == 1
        assert [r["weight"] for r in rows] == sorted((r["weight"] for r in rows), reverse=True)
        assert all(r["source"] != r["target"] for r in rows)
    condition = predictor.data.conditions[0]
    # run.json has the history, the best round and the per-perturbation metrics
    saved = json.loads((result.checkpoint / "run.json").read_text())
    assert saved["best_round"] == predictor.summary.best_round and len(saved["history"]) == 3
    assert set(saved["per_perturbation"]) == set(result.predictions)
    # the checkpoint (buffers included) reloads to the same predictions
    kwargs = predictor.inputs.model_kwargs("adapert", predictor.data)
    model, config = load_checkpoint(result.checkpoint, **kwargs)
    assert config["run"] == result.run.id
    perts = predictor.data.perts[:3]
    torch.testing.assert_close(model.eval()(perts), predictor.model.eval()(perts))
    writeback.delete_run(graph, result.run.id)
    assert writeback.learned_edges(graph, ids.perturbation_id("sim", condition)) == []
    assert writeback.list_runs(graph) == []


def stored_predictions(graph, run, pb):
    """A run's predicted mean expression per condition, read back from its prediction matrix
    (the file its ModelRun node names and hashes)."""
    (_, matrix), *_ = run_matrices(graph, run=run)
    assert matrix.genes == [ids.gene_id(g) for g in pb.genes]
    return {c: pb.control_mean + matrix.condition(c)[0] for c in matrix.conditions}


def test_every_model_is_evaluated_on_the_same_held_out_conditions(prepared):
    """Each run predicts exactly the split's test conditions, and the metrics each run records
    are those of the predictions it wrote to the graph."""
    graph, store = prepared
    results = [pipeline.train_run(graph, "sim", "s1", model, options=options(), store=store,
                                  progress=False)
               for model in ("gears", "linear", "graph_gp", "go_neighbour")]  # fmt: skip
    record = load_dataset("sim", store)
    pb, split = record.pseudobulk(), load_split("sim", "s1", store)
    train_mean = pb.deltas[[pb.row(c) for c in split.train if c != "ctrl"]].mean(axis=0)
    for result in results:
        assert sorted(result.predictions) == sorted(split.test)
        assert result.n_learned_edges == 0
        stored = stored_predictions(graph, result.run.id, pb)
        assert sorted(stored) == sorted(split.test)
        again = evaluate(stored, pb, split, train_mean).per_subgroup
        assert again.keys() == result.evaluation.per_subgroup.keys()
        for group, values in again.items():
            assert values == pytest.approx(result.evaluation.per_subgroup[group], nan_ok=True)
        assert writeback.show_run(graph, result.run.id)["metrics"].keys() == again.keys()
    models = {r["model"] for r in writeback.list_runs(graph, "sim")}
    assert models == {"gears", "linear", "graph_gp", "go_neighbour"}
    with pytest.raises(UsageError, match="unknown model"):
        pipeline.train_run(graph, "sim", "s1", "nope", store=store)


def test_graph_models_report_targets_without_a_neighbour(prepared):
    graph, store = prepared
    priors = priors_of(graph, store)
    # every generated gene is annotated; GENE24 shares terms with some of them
    assert priors.go_idf.unannotated == [] and priors.go_graph.targets
    isolated = set(priors.isolated_targets())
    for target in isolated:
        assert not (priors.kernel.values(target, priors.targets) > 0).sum() > 1
    result = pipeline.train_run(graph, "sim", "s1", "graph_gp", options=options(), store=store,
                                write=False, progress=False)  # fmt: skip
    assert result.extra["isolated_targets"] == sorted(isolated, key=priors.targets.index)


def test_combinations_are_built_on_the_measured_singles(prepared):
    """With λ = 0 a double whose singles are both measured is predicted exactly additively;
    the network then only predicts what nobody measured."""
    graph, store = prepared
    record = load_dataset("sim", store)
    pb = record.pseudobulk()
    singles = {t[0] for t in pb.targets if len(t) == 1}
    pair = next(t for t in pb.targets if len(t) == 2 and set(t) <= singles)
    split = make_split("custom", "c1", record, 0, test=["+".join(pair)])
    write_coexpression(graph, record, split, build_coexpression(record, split), progress=False)
    priors = priors_of(graph, store)
    predictor = pipeline.make_predictor("gears", graph=graph, record=record, split=split,
                                        priors=priors, options=options())  # fmt: skip
    train = TrainingSet.from_split(pb, split)
    predictor.fit(train)
    predictor.weight = 0.0
    singles = train.single_deltas
    composed = predictor.predict_deltas([pair])[0]
    np.testing.assert_allclose(composed, singles[pair[0]] + singles[pair[1]])
    raw = pipeline.make_predictor("gears", graph=graph, record=record, split=split, priors=priors,
                                  options=options(compose=False)).fit(train)  # fmt: skip
    assert raw.weight == pipeline.InteractionWeights(1.0, 1.0)
    assert not np.allclose(raw.predict_deltas([pair])[0], composed)


def test_compose_by_hand():
    network = np.array([[1.0, 1.0], [5.0, 0.0], [0.5, 0.5]])
    singles = {("a",): np.array([2.0, 0.0]), ("b",): np.array([1.0, 1.0])}
    measured = {"a": np.array([3.0, 3.0])}
    out = pipeline.compose([("a", "b"), ("b",), ("a",)], network, singles, measured, 0.5)
    # a+b: measured a + predicted b + ½ (f(ab) − f(a) − f(b))
    np.testing.assert_allclose(out[0], [3 + 1 + 0.5 * (1 - 3), 3 + 1 + 0.5 * (1 - 1)])
    np.testing.assert_allclose(out[1], [5.0, 0.0])  # an unmeasured single: the network's
    np.testing.assert_allclose(out[2], [3.0, 3.0])  # a measured single: its measurement


def test_compose_weights_each_regime_on_its_own():
    network = np.array([[1.0, 1.0], [4.0, 2.0]])
    singles = {(g,): np.array([1.0, 0.0]) for g in "abc"}
    measured = {"a": np.array([3.0, 3.0]), "b": np.array([2.0, 2.0])}
    weights = pipeline.InteractionWeights(measured=0.0, partial=1.0)
    out = pipeline.compose([("a", "b"), ("a", "c")], network, singles, measured, weights)
    np.testing.assert_allclose(out[0], [5.0, 5.0])  # both measured: additive (λ = 0)
    # c unmeasured: measured a + f(c) + 1 · (f(ac) − f(a) − f(c))
    np.testing.assert_allclose(out[1], [3 + 1 + (4 - 2), 3 + 0 + (2 - 0)])


def test_inner_validation_prefers_the_tested_kind():
    conditions = ["a", "b", "c", "a+b", "a+c", "b+c", "c+d"]
    targets = [tuple(c.split("+")) for c in conditions]
    val = pipeline.inner_validation(conditions, targets, like=2, fraction=0.5, seed=0)
    assert len(val) == 2 and all("+" in c for c in val)
    assert pipeline.inner_validation(["a", "b"], [("a",), ("b",)], like=2, fraction=0.2,
                                     seed=0) in (["a"], ["b"])  # fmt: skip
    assert pipeline.inner_validation(["a"], [("a",)], like=1, fraction=0.5, seed=0) == []


def test_cells_mode_trains_on_cell_pairs(prepared):
    graph, store = prepared
    train = TrainConfig(steps=4, eval_every=2, mode="cells", batch_size=16, threads=1,
                        progress=False)  # fmt: skip
    result = pipeline.train_run(graph, "sim", "s1", "gears", store=store, write=False,
                                options=options(train_config=train), progress=False)  # fmt: skip
    data = result.predictor.data
    assert data.cell_x is not None and len(data.ctrl_x) == SIM.control_cells
    assert [h["step"] for h in result.predictor.summary.history] == [2, 4]


def test_go_prior_takes_a_connected_neighbourhood(prepared):
    graph, _ = prepared
    genes, edges = pipeline.go_prior(graph, "g", n_genes=10, seed=0)
    assert len(genes) == 10
    assert edges and all(a in genes and b in genes and a != b for a, b in edges)
    assert pipeline.go_prior(graph, "g", n_genes=10, seed=0) == (genes, edges)


def test_genept_vectors_become_perturbation_features(prepared):
    """GenePT vectors stored on some genes feed the models; genes without one get zeros, so the
    unmeasured (and here un-embedded) target still has a row, but no k-NN candidate edge joins a
    gene without a vector."""
    graph, store = prepared
    vectors = np.array([[1.0, 0.0, 0.5], [0.0, 2.0, 0.0], [0.5, 0.5, 0.5]], dtype=np.float32)
    table = genept.EmbeddingTable("t.csv", ["GENE0", "GENE3", "GENE5"], vectors, "test-model")
    genept.store(graph, table, Provenance("test", "1"), progress=False)
    record = load_dataset("sim", store)
    split = load_split("sim", "s1", store)
    prior = priors_of(graph, store).go_graph
    inputs = pipeline.build_inputs(graph, record.pseudobulk(), split, prior=prior,
                                   features="genept")  # fmt: skip
    nodes = inputs.go.node_ids["node"]
    feats = inputs.pert_features.numpy()
    assert feats.shape == (N_GENES + 1, 3)
    np.testing.assert_allclose(feats[nodes.index("human:GENE0")], [1.0, 0.0, 0.5])
    np.testing.assert_allclose(feats[nodes.index("human:GENE3")], [0.0, 2.0, 0.0])
    assert not feats[nodes.index(f"human:GENE{N_GENES}")].any()
    assert inputs.gene_features.shape == (N_GENES, 3)
    embedded = {inputs.gene_ids.index(f"human:GENE{i}") for i in (0, 3, 5)}
    assert set(torch.nonzero(inputs.gene_present).flatten().tolist()) == embedded
    knn = inputs.model_kwargs("adapert", inputs.data(record.pseudobulk(), "human"))
    assert set(knn["knn_edge_index"].flatten().tolist()) == embedded
    assert knn["knn_edge_index"].shape[1] == 6  # each embedded gene: its 2 embedded neighbours


def test_the_same_run_twice_gives_the_same_predictions(prepared):
    """Same data, split, GO graph and seed → identical predictions (the weights' initialisation
    is seeded too, not only the training loop)."""
    graph, store = prepared
    runs = []
    for _ in range(2):
        torch.manual_seed(12345 + len(runs))  # whatever the caller's global RNG state
        runs.append(pipeline.train_run(graph, "sim", "s1", "adapert", options=options(),
                                       store=store, write=False, progress=False))  # fmt: skip
    assert runs[0].run.id == runs[1].run.id
    for condition, pred in runs[0].predictions.items():
        np.testing.assert_array_equal(pred, runs[1].predictions[condition])


def test_the_two_go_kernels_of_the_same_targets_warn_once_of_an_unannotated_one(graph, caplog):
    graph.write(
        "MERGE (a:Gene {id: 'human:A', symbol: 'A', species: 'human'}) "
        "MERGE (e:Gene {id: 'human:E', symbol: 'E', species: 'human'}) "
        "MERGE (t:GOTerm {id: 'GO:1'}) MERGE (a)-[:ANNOTATED_WITH]->(t)"
    )
    targets = SimpleNamespace(targets=[("A",), ("E",)])
    priors = pipeline.Priors(graph, targets, species="human", options=options())
    with caplog.at_level(logging.WARNING, logger="priorgraph.queries.gene_similarity"):
        assert priors.go_jaccard.unannotated == priors.go_idf.unannotated == ["E"]
    warnings = [r.getMessage() for r in caplog.records if "no GO annotation" in r.getMessage()]
    assert warnings == ["1 of 2 genes have no GO annotation: E"]
