"""Issue 15: "``split create DATASET ../../x`` writes a file outside the store" and "an unknown
Perturb-seq target creates a Gene node and exits 0". Names are names, never paths; a target the
graph does not know is an error (before anything is written) unless asked for."""

from __future__ import annotations

import pytest

from priorgraph.core.errors import UsageError
from priorgraph.core.splits import Split
from priorgraph.ingest.perturbseq import synthetic_perturbseq
from priorgraph.ingest.splits import load_split


def files_under(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("name", ["../../x", "../x", "a/b", "/tmp/x", ".hidden"])
def test_split_names_are_names_not_paths(offline_cli, tmp_path, one_line_error, name):
    h5ad = tmp_path / "toy.h5ad"
    synthetic_perturbseq(seed=2).write_h5ad(h5ad)
    assert (
        offline_cli("ingest", "perturbseq", h5ad, "--dataset", "toy", "--no-graph").exit_code == 0
    )
    before = files_under(tmp_path)
    result = offline_cli("split", "create", "toy", name, "--kind", "double", "--no-graph")
    one_line_error(result, f"bad split name {name!r}: use 1-128 letters")
    assert files_under(tmp_path) == before  # nothing written, inside the store or outside
    with pytest.raises(UsageError):
        load_split("toy", name, tmp_path / "home" / "perturbseq")
    with pytest.raises(UsageError):
        Split(name, "toy", "double", 0, [], [], [])


def test_data_set_names_are_names_not_paths(offline_cli, tmp_path, one_line_error):
    h5ad = tmp_path / "toy.h5ad"
    synthetic_perturbseq(seed=2).write_h5ad(h5ad)
    result = offline_cli("ingest", "perturbseq", h5ad, "--dataset", "../toy", "--no-graph")
    one_line_error(result, "bad data set name '../toy'")
    assert files_under(tmp_path) == ["toy.h5ad"]


def test_an_unknown_target_is_an_error_unless_asked_for(cli, graph, tmp_path, one_line_error):
    h5ad = tmp_path / "toy.h5ad"
    synthetic_perturbseq(seed=2, extra={"NOTAGENE+ctrl": 30, "G1+TYPO7": 30}).write_h5ad(h5ad)
    result = cli("ingest", "perturbseq", h5ad, "--dataset", "toy")
    line = one_line_error(
        result, f"{h5ad}: 2 perturbation target(s) are neither genes of the graph, measured genes "
        "nor genes of the reference: TYPO7 (G1+TYPO7), NOTAGENE (NOTAGENE+ctrl); fix the labels",
    )  # fmt: skip
    assert line.endswith("or pass --add-unknown-genes to create them")
    assert graph.read("MATCH (n) RETURN count(n) AS n") == [{"n": 0}]
    assert not (tmp_path / "home" / "perturbseq" / "toy").exists()  # no files either
    added = cli("ingest", "perturbseq", h5ad, "--dataset", "toy", "--add-unknown-genes")
    assert added.exit_code == 0, added.output
    genes = graph.read("MATCH (g:Gene) WHERE g.symbol IN ['NOTAGENE', 'TYPO7'] "
                       "RETURN g.symbol AS s ORDER BY s")  # fmt: skip
    assert genes == [{"s": "NOTAGENE"}, {"s": "TYPO7"}]


def test_a_target_already_in_the_graph_needs_no_flag(cli, graph, tmp_path, tiny_obo):
    table = tmp_path / "ann.tsv"
    table.write_text("KNOWN1\tGO:0000001\n")
    assert cli("ingest", "go", "--obo", tiny_obo, "--table", table).exit_code == 0
    h5ad = tmp_path / "toy.h5ad"
    synthetic_perturbseq(seed=2, extra={"KNOWN1+ctrl": 30}).write_h5ad(h5ad)
    result = cli("ingest", "perturbseq", h5ad, "--dataset", "toy")
    assert result.exit_code == 0, result.output
    assert "1 targets are not measured genes: KNOWN1" in result.output
