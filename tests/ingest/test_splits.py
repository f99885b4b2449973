import numpy as np
import pytest

from priorgraph.core.errors import SplitFileError, UsageError
from priorgraph.core.splits import Split
from priorgraph.ingest.perturbseq import (
    PerturbSeqConfig,
    ingest,
    load_dataset,
    synthetic_perturbseq,
)
from priorgraph.ingest.splits import (
    benchmark_splits,
    coexpression_cells,
    coexpression_edges,
    coexpression_from_data,
    custom_split,
    double_split,
    load_split,
    make_split,
    pearson_matrix,
    simulation_split,
    splits_dir,
    write_coexpression,
)
from priorgraph.queries.export_coexpression import coexpression_export

GENES = [f"g{i}" for i in range(8)]
CONDITIONS = ["ctrl", *[f"{g}+ctrl" for g in GENES]] + [
    f"{a}+{b}" for i, a in enumerate(GENES) for b in GENES[i + 1 :: 3]
]


def test_simulation_split_subgroups_follow_gears_definitions():
    split = simulation_split("s", "d", CONDITIONS, seed=3)
    perts = [c for c in CONDITIONS if c != "ctrl"]
    assert sorted(split.train + split.val + split.test) == sorted(CONDITIONS)
    assert len(set(split.train) & set(split.test)) == 0 and "ctrl" in split.train
    seen = {g for c in split.train + split.val for g in c.split("+") if g != "ctrl"}
    for group, n_seen in (("combo_seen0", 0), ("combo_seen1", 1), ("combo_seen2", 2)):
        for c in split.subgroups[group]:
            assert sum(g in seen for g in c.split("+")) == n_seen, (group, c)
    for c in split.subgroups["unseen_single"]:
        assert c.split("+")[0] not in seen
    # GEARS draws int(8 * 0.75) = 6 seen genes, so 2 singles are unseen
    assert len(split.subgroups["unseen_single"]) == 2
    assert sum(len(v) for v in split.subgroups.values()) == len(split.test)
    assert split == simulation_split("s", "d", CONDITIONS, seed=3)
    assert split.test != simulation_split("s", "d", CONDITIONS, seed=4).test
    assert len(perts) == len(split.train) - 1 + len(split.val) + len(split.test)


PB_LABELS = ["control", "A", "B", "C", "D", "A+B", "A+C", "C+D", "B+E", "E+F", "A+D"]


def test_custom_split_trains_on_everything_else_and_groups_doubles_by_measured_singles():
    split = custom_split("c", "d", PB_LABELS, test=["A+B", "B+E", "E+F", "D"], val=["A+C"],
                         control="control")  # fmt: skip
    assert split.train == ["A", "A+D", "B", "C", "C+D", "control"] and split.val == ["A+C"]
    assert split.subgroups == {"double_both_singles": ["A+B"], "double_one_single": ["B+E"],
                               "double_no_single": ["E+F"], "single": ["D"]}  # fmt: skip
    with pytest.raises(UsageError, match="has no condition Z"):
        custom_split("c", "d", PB_LABELS, test=["Z"], control="control")
    with pytest.raises(UsageError, match="none also in val"):
        custom_split("c", "d", PB_LABELS, test=["A"], val=["A"], control="control")


def test_benchmark_doubles_folds_are_seeded_halves_of_the_doubles():
    folds = benchmark_splits("d", PB_LABELS, protocol="doubles", folds=3, seed=7,
                             control="control")  # fmt: skip
    doubles = {c for c in PB_LABELS if "+" in c}
    assert [f.name for f in folds] == [f"bench-doubles-s7-f{i}" for i in range(3)]
    for fold in folds:
        assert {"A", "B", "C", "D", "control"} <= set(fold.train) and fold.val == []
        assert len(fold.test) == 3 and set(fold.test) <= doubles  # 6 doubles: 3 train, 3 test
        assert set(fold.train) | set(fold.test) == set(PB_LABELS)
    assert len({tuple(f.test) for f in folds}) > 1  # independent partitions
    again = benchmark_splits("d", PB_LABELS, protocol="doubles", folds=3, seed=7,
                             control="control")  # fmt: skip
    assert again == folds


def test_benchmark_unseen_singles_hold_every_single_out_once_without_leaking_doubles():
    folds = benchmark_splits("d", PB_LABELS, protocol="unseen-singles", folds=2, seed=0,
                             control="control")  # fmt: skip
    assert sorted(c for f in folds for c in f.test) == ["A", "B", "C", "D"]
    for fold in folds:
        held = set(fold.test)
        assert not held & set(fold.train)
        assert all(not set(c.split("+")) & held for c in fold.train)  # no double reveals them
        assert fold.subgroups == {"single": fold.test}
    with pytest.raises(UsageError, match="unknown protocol"):
        benchmark_splits("d", PB_LABELS, protocol="triples", control="control")
    with pytest.raises(UsageError, match="cannot fill 5 folds"):
        benchmark_splits("d", ["control", "A", "B"], protocol="unseen-singles", folds=5,
                         control="control")  # fmt: skip


def test_double_split_keeps_all_singles_and_half_the_doubles_in_train():
    split = double_split("d", "d", CONDITIONS, seed=0, val_fraction=0.25)
    doubles = [c for c in CONDITIONS if "ctrl" not in c]
    assert all(f"{g}+ctrl" in split.train for g in GENES)
    assert len([c for c in split.train if c in doubles]) == round(len(doubles) / 2)
    held = len(doubles) - round(len(doubles) / 2)
    assert len(split.val) == int(held * 0.25) and len(split.test) == held - len(split.val)
    with pytest.raises(UsageError, match="needs at least two double perturbations"):
        double_split("d", "d", ["ctrl", "a+ctrl", "b+ctrl"])


def test_saved_split_is_reused_by_name_and_not_silently_replaced(tmp_path):
    split = simulation_split("s1", "d", CONDITIONS, seed=1)
    split.save(tmp_path)
    assert Split.load(tmp_path / "s1.json") == split
    split.save(tmp_path)  # same content: fine
    other = simulation_split("s1", "d", CONDITIONS, seed=2)
    with pytest.raises(SplitFileError, match="a different split named 's1' exists"):
        other.save(tmp_path)


def test_pearson_and_gears_coexpression_rule_by_hand():
    # A and B almost collinear; C alternates: r(A,C) = -2 / (sqrt(5) * 2), r(B,C) = -4.5 / ...
    x = np.array([[1, 2, 1], [2, 4, -1], [3, 6, 1], [4, 8.5, -1]], dtype=float)
    r = pearson_matrix(x)
    assert r[0, 2] == pytest.approx(-2 / (np.sqrt(5) * 2))
    r_bc = -4.5 / (np.sqrt(23.1875) * 2)
    assert r[1, 2] == pytest.approx(r_bc)
    edges = coexpression_edges(x, ["A", "B", "C"], k=1, threshold=0.45)
    assert [(s, t, rank) for s, t, _, rank in edges] == [
        ("A", "A", 1), ("B", "A", 2), ("B", "B", 1), ("A", "B", 2), ("C", "C", 1), ("B", "C", 2),
    ]  # fmt: skip
    assert edges[-1][2] == pytest.approx(r_bc)  # the sign is kept
    strict = coexpression_edges(x, ["A", "B", "C"], k=1, threshold=0.5)
    assert [(s, t) for s, t, _, _ in strict if t == "C"] == [("C", "C")]
    assert pearson_matrix(np.array([[1.0, 2.0], [1.0, 3.0]]))[0, 1] == 0  # constant gene


@pytest.fixture
def toy_record(tmp_path):
    path = tmp_path / "toy.h5ad"
    synthetic_perturbseq(seed=2).write_h5ad(path)
    ingest(None, path, PerturbSeqConfig("toy"), store=tmp_path / "store", progress=False)
    return load_dataset("toy", tmp_path / "store")


def test_test_cells_cannot_leak_into_the_coexpression_graph(toy_record):
    split = make_split("simulation", "s", toy_record, seed=1)
    data = toy_record.cells()
    labels = data.adata.obs["condition"].astype(str).to_numpy()
    mask = coexpression_cells(data, split)
    allowed = {c for c in split.train if c == "ctrl" or c.endswith("+ctrl")}
    assert set(labels[mask]) == allowed
    assert not set(labels[mask]) & (set(split.test) | set(split.val))
    before = coexpression_from_data(data, split, k=3, threshold=0.1)
    # overwrite every other cell with a pattern that makes all genes perfectly correlated
    x = data.adata.X.toarray()
    x[~mask] = np.arange((~mask).sum())[:, None] * np.ones(x.shape[1])
    data.adata.X = x
    assert coexpression_from_data(data, split, k=3, threshold=0.1) == before


def test_coexpression_is_stored_per_split_and_exported(graph, tmp_path):
    path = tmp_path / "toy.h5ad"
    synthetic_perturbseq(seed=2).write_h5ad(path)
    store = tmp_path / "store"
    ingest(graph, path, PerturbSeqConfig("toy"), store=store, progress=False)
    record = load_dataset("toy", store)
    split = make_split("simulation", "s", record, seed=1)
    split.save(splits_dir("toy", store))
    assert load_split("toy", "s", store) == split
    edges = [("G0", "G6", -0.8, 2), ("G6", "G6", 1.0, 1)]
    counts = write_coexpression(graph, record, split, edges, progress=False)
    assert counts.relationships_created == 2 and counts.unmatched == 0
    write_coexpression(graph, record, split, edges[:1], progress=False)  # replaces
    rows = graph.read(
        "MATCH (a)-[r:COEXPRESSED]->(b) RETURN a.symbol AS a, b.symbol AS b, r.rho AS rho, "
        "r.dataset AS dataset, r.split AS split"
    )
    assert rows == [{"a": "G0", "b": "G6", "rho": -0.8, "dataset": "toy", "split": "s"}]
    export = coexpression_export(graph, "toy", "s")
    assert export.node_ids["node"] == ["human:G0", "human:G6"]
    assert export.data.edge_index.tolist() == [[0], [1]]
    assert export.data.edge_weight.tolist() == pytest.approx([0.8])
    assert export.meta == {"graph": "coexpression", "dataset": "toy", "split": "s"}
