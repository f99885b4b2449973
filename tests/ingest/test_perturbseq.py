import anndata as ad
import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from priorgraph.core.errors import PerturbSeqError
from priorgraph.core.pseudobulk import Pseudobulk
from priorgraph.ingest.perturbseq import (
    LOGNORM,
    RAW,
    PerturbSeqConfig,
    compute_pseudobulk,
    detect_normalisation,
    ingest,
    load_dataset,
    parse_condition,
    read_perturbseq,
    synthetic_perturbseq,
)

CONFIG = PerturbSeqConfig("toy", min_cells=5)


@pytest.fixture
def toy(tmp_path):
    path = tmp_path / "toy.h5ad"
    synthetic_perturbseq(extra={"X9+ctrl": 10, "G4+ctrl": 2}).write_h5ad(path)
    return path


def write(tmp_path, x, labels, genes=("A", "B", "C"), **obs):
    adata = ad.AnnData(
        X=sparse.csr_matrix(np.asarray(x, dtype=np.float32)),
        obs=pd.DataFrame({"condition": labels, **obs}, index=[f"c{i}" for i in range(len(labels))]),
        var=pd.DataFrame(index=list(genes)),
    )
    path = tmp_path / "small.h5ad"
    adata.write_h5ad(path)
    return path


def test_parse_condition_follows_gears_labels():
    assert parse_condition("ctrl") == ()
    assert parse_condition("KLF1+ctrl") == ("KLF1",)
    assert parse_condition("CEBPA+KLF1") == ("CEBPA", "KLF1")
    assert parse_condition("A_B", separator="_") == ("A", "B")
    with pytest.raises(ValueError, match="empty gene name"):
        parse_condition("A+")


def test_detect_normalisation():
    assert detect_normalisation(sparse.csr_matrix([[0, 3], [2, 0]]), "x") == RAW
    assert detect_normalisation(np.log1p([[0.0, 3.0], [2.5, 0.0]]), "x") == LOGNORM
    with pytest.raises(PerturbSeqError, match="negative values"):
        detect_normalisation(np.array([[-0.5, 1.0]]), "f.h5ad")
    with pytest.raises(PerturbSeqError, match="not log-transformed"):
        detect_normalisation(np.array([[0.5, 250.5]]), "f.h5ad")


def test_read_reports_dropped_conditions_and_unmeasured_targets(toy):
    data, report = read_perturbseq(toy, CONFIG)
    assert report.normalisation == RAW
    assert report.too_few_cells == {"G4+ctrl": 2}
    assert report.unmeasured_targets == {"X9+ctrl": ["X9"]}
    assert "G4+ctrl" not in report.conditions and "X9+ctrl" in report.conditions
    assert report.n_control_cells == 30
    # raw counts were normalised: every cell sums to 1e4 before log1p
    totals = np.expm1(data.adata.X.toarray()).sum(axis=1)
    assert np.allclose(totals, 1e4, rtol=1e-4)


def test_read_errors_name_the_file_and_problem(tmp_path):
    path = write(tmp_path, [[1, 2, 3], [1, 0, 2]], ["A+ctrl", "B+ctrl"])
    with pytest.raises(PerturbSeqError, match=r"small.h5ad: no control label .* most frequent "
                       r"labels: A\+ctrl \(1\), B\+ctrl \(1\)"):  # fmt: skip
        read_perturbseq(path, PerturbSeqConfig("x", min_cells=1))
    expected = r"small.h5ad: no control cells: no obs\['condition'\] == 'ctrl'"
    with pytest.raises(PerturbSeqError, match=expected):
        read_perturbseq(path, PerturbSeqConfig("x", min_cells=1, control="ctrl"))
    with pytest.raises(PerturbSeqError, match=r"small.h5ad: obs has no column 'perturbation'"):
        read_perturbseq(path, PerturbSeqConfig("x", condition_col="perturbation"))
    bad = write(tmp_path, [[1, 2, 3], [1, 0, 2]], ["ctrl", "A++B"])
    with pytest.raises(PerturbSeqError, match=r"empty gene name in condition 'A\+\+B'"):
        read_perturbseq(bad, PerturbSeqConfig("x", min_cells=1))
    dup = write(tmp_path, [[1, 2, 3]], ["ctrl"], genes=("A", "A", "C"))
    with pytest.raises(PerturbSeqError, match="duplicated gene symbols"):
        read_perturbseq(dup, PerturbSeqConfig("x", min_cells=1))


def test_perturbench_labels_and_a_found_control(tmp_path):
    x = [[1, 2, 3], [1, 0, 2], [5, 2, 3], [6, 2, 3], [0, 9, 3], [0, 8, 3]]
    labels = ["control", "control", "A", "A", "A+B", "A+B"]
    path = write(tmp_path, x, labels, dataset=["n19"] * 4 + ["other"] * 2)
    data, report = read_perturbseq(path, PerturbSeqConfig("x", min_cells=1))
    assert data.config.control == "control"
    assert data.targets == {"control": (), "A": ("A",), "A+B": ("A", "B")}
    assert report.conditions == ["A", "A+B"] and report.n_control_cells == 2
    # --where dataset=n19: one data set of a multi-data-set file
    where = PerturbSeqConfig("x", min_cells=1, where=(("dataset", "n19"),))
    data, report = read_perturbseq(path, where)
    assert report.n_cells == 4 and report.conditions == ["A"]
    with pytest.raises(
        PerturbSeqError, match=r"--where dataset=n20: no cell has it \(n19, other\)"
    ):
        read_perturbseq(path, PerturbSeqConfig("x", where=(("dataset", "n20"),)))
    with pytest.raises(PerturbSeqError, match="--where batch=1: obs has no column 'batch'"):
        read_perturbseq(path, PerturbSeqConfig("x", where=(("batch", "1"),)))


def test_a_missing_control_says_which_label_looks_like_one(tmp_path):
    path = write(tmp_path, [[1, 2, 3]] * 3, ["NonTargeting_1", "A", "B"])
    with pytest.raises(PerturbSeqError, match=r"looks like a control: 'NonTargeting_1' "
                       r"\(pass --control NonTargeting_1\)"):  # fmt: skip
        read_perturbseq(path, PerturbSeqConfig("x", min_cells=1))
    data, _ = read_perturbseq(path, PerturbSeqConfig("x", min_cells=1, control="NonTargeting_1"))
    assert data.targets["A"] == ("A",)
    both = write(tmp_path, [[1, 2, 3]] * 3, ["ctrl", "control", "A"])
    with pytest.raises(PerturbSeqError, match="several control-like labels"):
        read_perturbseq(both, PerturbSeqConfig("x", min_cells=1))


def test_pseudobulk_means_and_gears_gene_sets_by_hand(tmp_path):
    # log-normalised input (kept as is): A is zero everywhere, B only in control, C only in P.
    x = [[0, 1.0, 0], [0, 3.0, 0], [0, 0, 0.5], [0, 0, 1.5]]
    path = write(tmp_path, x, ["ctrl", "ctrl", "C+ctrl", "C+ctrl"])
    data, report = read_perturbseq(path, PerturbSeqConfig("x", min_cells=2))
    assert report.normalisation == LOGNORM
    pb = compute_pseudobulk(data, report)
    assert pb.conditions == ["C+ctrl"]
    assert np.allclose(pb.control_mean, [0, 2.0, 0])
    assert np.allclose(pb.means, [[0, 0, 1.0]])
    assert np.allclose(pb.deltas, [[0, -2.0, 1.0]])
    # cell variances (ddof 1): control B = (1, 3) -> 2; condition C = (0.5, 1.5) -> 0.5
    assert np.allclose(pb.control_variance, [0, 2.0, 0])
    assert np.allclose(pb.variances, [[0, 0, 0.5]])
    assert pb.non_zero.tolist() == [[False, False, True]]
    # non-dropout: non-zero, or zero in both the condition and control (A); B is a dropout
    assert pb.non_dropout.tolist() == [[True, False, True]]
    assert pb.top_non_dropout_de("C+ctrl", 20).tolist() == [
        g for g in pb.top_de("C+ctrl", 20).tolist() if g != 1
    ]


def test_planted_effects_rank_first_and_files_round_trip(toy, tmp_path):
    data, report = read_perturbseq(toy, CONFIG)
    pb = compute_pseudobulk(data, report)
    top2 = {pb.genes[i] for i in pb.top_de("G0+ctrl", 2)}
    assert top2 == {"G0", "G6"}
    i = pb.row("G0+ctrl")
    assert pb.deltas[i, pb.genes.index("G0")] < -1 and pb.deltas[i, pb.genes.index("G6")] > 0.5
    assert pb.de_rank()[i, pb.top_de("G0+ctrl", 1)[0]] == 1
    digest = pb.save(tmp_path / "pb.npz")
    again = Pseudobulk.load(tmp_path / "pb.npz", digest)
    assert again.conditions == pb.conditions and again.targets == pb.targets
    assert np.array_equal(again.means, pb.means) and again.content_hash() == digest
    with pytest.raises(PerturbSeqError, match="does not match its recorded hash"):
        Pseudobulk.load(tmp_path / "pb.npz", "0" * 64)


def test_ingest_writes_graph_idempotently_and_keeps_existing_genes(graph, toy, tmp_path):
    graph.write("CREATE (:Gene {id: 'human:G0', symbol: 'G0', species: 'human', source: 'go'})")
    with pytest.raises(PerturbSeqError, match=r"1 perturbation target\(s\) .*: X9 \(X9\+ctrl\)"):
        ingest(graph, toy, CONFIG, store=tmp_path, progress=False)  # X9: not a gene anywhere
    report, counts = ingest(graph, toy, CONFIG, store=tmp_path, progress=False,
                            add_unknown_genes=True)  # fmt: skip
    assert counts["Perturbation"].nodes_created == 9  # 4 singles, 4 doubles, X9
    assert counts["TARGETS"].relationships_created == 13
    assert counts["Gene"].nodes_created == 12  # G1..G11 and X9 (G0 was there)
    assert "X9" in report.new_genes and "G0" not in report.new_genes
    dataset = graph.read("MATCH (d:Dataset {id: 'toy'}) RETURN d")[0]["d"]
    assert dataset["normalisation"] == RAW
    assert dataset["normalisation_method"] == "normalize_total(target_sum=10000) + log1p"
    record = load_dataset("toy", tmp_path)
    assert dataset["pseudobulk_sha256"] == record.pseudobulk().content_hash()
    assert graph.read("MATCH (g:Gene {id: 'human:G0'}) RETURN g.source AS s") == [{"s": "go"}]
    effect = graph.read(
        "MATCH (:Perturbation {id: 'toy/G0+ctrl'})-[o:OBSERVED_EFFECT]->(:Gene {id: 'human:G0'}) "
        "RETURN o.delta AS delta, o.de_rank AS de_rank"
    )
    assert len(effect) == 1 and effect[0]["delta"] < -1 and effect[0]["de_rank"] <= 2
    _, again = ingest(graph, toy, CONFIG, store=tmp_path, progress=False)  # X9 is a gene now
    assert sum(c.nodes_created + c.relationships_created for c in again.values()) == 0


def test_var_names_and_targets_are_resolved(tmp_path):
    """Old symbols in var and in the labels become approved ones (labels stay as written)."""
    from priorgraph.ingest.gene_resolution import GeneReference, GeneResolver

    reference = GeneReference("human", previous={"DARS": ("DARS1", None)})
    reference.add_genes([("DARS1", None), ("B", None), ("C", None)], "test")
    genes = GeneResolver(reference)
    x = np.ones((12, 3))
    labels = ["ctrl"] * 6 + ["DARS+ctrl"] * 6
    path = write(tmp_path, x, labels, genes=("DARS", "B", "NOTAGENE7"))
    config = PerturbSeqConfig("toy", min_cells=5)
    with pytest.raises(PerturbSeqError, match="small.h5ad: 1 gene name.*not found: NOTAGENE7"):
        read_perturbseq(path, config, genes=genes, unknown_genes="error")
    data, report = read_perturbseq(path, config, genes=genes)
    assert list(data.adata.var_names) == ["DARS1", "B", "NOTAGENE7"]
    assert data.targets["DARS+ctrl"] == ("DARS1",)
    assert report.gene_names["renamed"] == {"DARS": "DARS1"}
    assert "1 renamed (DARS → DARS1); 1 unknown (NOTAGENE7)" in report.lines()[-1]
    twice = write(tmp_path, x, labels, genes=("DARS", "DARS1", "B"))
    with pytest.raises(PerturbSeqError, match="1 gene\\(s\\) twice under old and new names"):
        read_perturbseq(twice, config, genes=genes)
