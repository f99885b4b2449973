"""The Python API (priorgraph/api.py) against a small real graph: every method, its docstring
examples (run as doctests) and the notebook walk-through docs/api.md, top to bottom."""

from __future__ import annotations

import doctest
import importlib.util
import logging
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import priorgraph
from priorgraph import api
from priorgraph.core.errors import MissingFeaturesError, ReadOnlyQueryError, UsageError
from priorgraph.kg.connection import Graph

_spec = importlib.util.spec_from_file_location("api_graph", Path(__file__).parent / "api_graph.py")
api_graph = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(api_graph)

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "api.md"
README = ROOT / "README.md"


@pytest.fixture(scope="module")
def small_graph(neo4j_settings, clean_graph, tmp_path_factory):
    """The graph of tests/api_graph.py, loaded once for this module; the folder of its files."""
    folder = tmp_path_factory.mktemp("api")
    with Graph(neo4j_settings) as graph:
        clean_graph(graph)
        api_graph.load(graph, folder)
    return folder


@pytest.fixture
def user_env(neo4j_settings, monkeypatch, tmp_path):
    """NEO4J_* set as a user would, to the test server."""
    monkeypatch.setenv("NEO4J_URI", neo4j_settings.uri)
    monkeypatch.setenv("NEO4J_USER", neo4j_settings.user)
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_settings.password)
    monkeypatch.setenv("PRIORGRAPH_HOME", str(tmp_path / "home"))


@pytest.fixture
def pg(small_graph, user_env):
    with priorgraph.connect() as client:
        yield client


def test_importing_priorgraph_or_its_layers_does_not_load_the_api():
    code = ("import sys, priorgraph, priorgraph.kg.connection; "
            "print(sorted(m for m in ('priorgraph.api', 'torch', 'torch_geometric') "
            "if m in sys.modules))")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    assert priorgraph.connect is api.connect and priorgraph.Client is api.Client
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        priorgraph.nope  # noqa: B018


def test_gene_ids_take_symbols_ids_and_var_names():
    var_names = pd.Index(["STAT1", "human:IRF1", "Stat1"])
    assert api.gene_ids(var_names) == ["human:STAT1", "human:IRF1", "human:Stat1"]
    assert api.gene_ids("STAT1") == ["human:STAT1"]  # one name, not its letters
    assert api.gene_ids(["Stat1"], species="mouse") == ["mouse:Stat1"]
    with pytest.raises(UsageError, match="non-empty text"):
        api.gene_ids(["STAT1", float("nan")])


def test_connect_with_explicit_settings_and_refusals(small_graph, neo4j_settings, monkeypatch):
    monkeypatch.delenv("NEO4J_URI", raising=False)
    with api.connect(uri=neo4j_settings.uri, user=neo4j_settings.user,
                     password=neo4j_settings.password) as pg:  # fmt: skip
        assert repr(pg) == f"<priorgraph.Client {neo4j_settings.uri} database neo4j>"
        assert pg.cypher("MATCH (g:Gene) RETURN count(g) AS n")["n"].tolist() == [6]
    with pytest.raises(UsageError, match="go with uri"):
        api.connect(password="x")
    from priorgraph.core.errors import GraphConnectionError

    with pytest.raises(GraphConnectionError, match="authentication failed"):
        api.connect(uri=neo4j_settings.uri, password="wrong")


def test_query_returns_a_frame_and_checks_names_and_parameters(pg):
    frame = pg.query("go_neighbours", gene="human:STAT1", go_graph="gears_go")
    assert list(frame.columns) == ["neighbour", "rank", "jaccard", "shared_terms"]
    assert frame["neighbour"].tolist()[:3] == ["human:STAT1", "human:IRF1", "human:STAT2"]
    assert frame["jaccard"].tolist()[:3] == pytest.approx([1.0, 2 / 3, 2 / 3])
    empty = pg.query("go_neighbours", gene="human:NOPE", go_graph="gears_go")
    assert empty.empty and list(empty.columns) == list(frame.columns)
    with pytest.raises(UsageError, match=r"go_neighbours: missing go_graph \(its parameters"):
        pg.query("go_neighbours", gene="human:STAT1")
    with pytest.raises(UsageError, match="unknown genes"):
        pg.query("go_neighbours", gene="human:STAT1", go_graph="gears_go", genes=[])
    with pytest.raises(UsageError, match="runs_delete writes to the graph"):
        pg.query("runs_delete", run="toy_run")
    with pytest.raises(UsageError, match="no named query 'nope'"):
        pg.query("nope")
    queries = pg.queries().set_index("query")
    assert "runs_delete" not in queries.index
    assert queries.loc["effects_gene", "parameters"] == "dataset, gene, run, top"


def test_cypher_reads_refuses_writes_and_writes_when_asked(pg):
    rows = pg.cypher("MATCH (g:Gene) WHERE g.symbol IN $s RETURN g.symbol AS s ORDER BY s",
                     s=["STAT1", "CD14"])  # fmt: skip
    assert rows["s"].tolist() == ["CD14", "STAT1"]
    with pytest.raises(ReadOnlyQueryError, match=r"in Python: pg.cypher\(\.\.\., write=True\)"):
        pg.cypher("MATCH (g:Gene {symbol: 'STAT1'}) SET g.note = 'x'")
    done = pg.cypher("MATCH (g:Gene {symbol: $s}) SET g.note = $write RETURN g.note AS note",
                     s="STAT1", write=True, parameters={"write": "mine"})  # fmt: skip
    assert done["note"].tolist() == ["mine"]
    pg.cypher("MATCH (g:Gene) REMOVE g.note", write=True)
    assert pg.cypher("UNWIND [] AS x RETURN x").columns.tolist() == ["x"]


def test_go_graph_is_a_pyg_data_over_the_given_genes(pg):
    from torch_geometric.data import Data

    var_names = pd.Index(["IRF1", "STAT1", "human:STAT2", "NOTAGENE", "STAT1"])
    data = pg.go_graph(genes=var_names, k=1)
    assert isinstance(data, Data) and data.num_nodes == 4
    assert data.gene_ids == ["human:IRF1", "human:STAT1", "human:STAT2", "human:NOTAGENE"]
    assert data.genes == ["IRF1", "STAT1", "human:STAT2", "NOTAGENE"]
    assert data.unannotated == ["human:NOTAGENE"]
    edges = {(data.gene_ids[s], data.gene_ids[t]): w for (s, t), w in
             zip(data.edge_index.t().tolist(), data.edge_weight.tolist(), strict=True)}  # fmt: skip
    # STAT1's terms {0060337, 0019221, 0003700}: J(IRF1, STAT1) = 2/3, J(STAT2, STAT1) = 2/3
    assert edges[("human:STAT1", "human:STAT1")] == 1.0
    assert edges[("human:IRF1", "human:STAT1")] == pytest.approx(2 / 3)
    assert len(data.content_hash) == 64
    stored = pg.go_graph(genes=["STAT1", "STAT2"], graph_name="gears_go", drop_unannotated=True)
    assert stored.gene_ids == ["human:STAT1", "human:STAT2"] and stored.edge_index.shape[1] == 4


def test_guidance_is_heterodata_with_names_and_ids(pg, caplog):
    data = pg.guidance(assembly="hg38")
    assert data["gene"].names == ["CD14", "STAT1"]
    assert data["peak"].names == ["chr2:191013900-191014500", "chr5:140633500-140634000",
                                  "chr9:100-600"]  # fmt: skip
    assert data["peak"].node_ids[0] == "hg38:chr2:191013900-191014500"
    fwd = data["peak", "linked_to", "gene"]
    assert fwd.edge_index.tolist() == [[0, 1], [1, 0]]  # each peak to the gene beside it
    with caplog.at_level(logging.WARNING, logger="priorgraph"):
        some = pg.guidance(assembly="hg38", features=["STAT1", "chr2:191013900-191014500", "X"])
    assert some["gene"].names == ["STAT1"] and some.missing_features == ["X"]
    assert "1 of the features are not in the graph, e.g. X" in caplog.text


def test_features_frame_keeps_missing_rows_visible(pg, caplog):
    var_names = pd.Index(["STAT1", "LYZ", "CD14"])
    frame = pg.features(var_names)
    assert frame.index.tolist() == ["STAT1", "LYZ", "CD14"] and frame.shape == (3, 4)
    np.testing.assert_allclose(frame.loc["STAT1"], [1.0, 0.0, 0.0, 0.5])
    assert frame.loc["LYZ"].isna().all() and frame.attrs["missing"] == ["human:LYZ"]
    filled = pg.features(var_names, fill="mean")
    np.testing.assert_allclose(filled.loc["LYZ"], [0.5, 0.05, 0.5, 0.25], rtol=1e-6)
    with caplog.at_level(logging.WARNING, logger="priorgraph"):
        tensor = pg.features(["STAT1", "LYZ"], fill="zero", as_tensor=True)
    assert isinstance(tensor, torch.Tensor) and tensor[1].abs().sum() == 0
    assert "1 of 2 rows (50%) zero-filled, more than 20%" in caplog.text
    with pytest.raises(MissingFeaturesError, match="1 of 2 genes have no genept embedding"):
        pg.features(["STAT1", "LYZ"], as_tensor=True)


def test_effects_by_gene_and_by_perturbation(pg):
    by_gene = pg.effects(gene="STAT1", run="toy_run")
    assert by_gene["perturbation"].tolist()[:3] == ["JAK2+IRF1", "JAK2+ctrl", "IRF1+ctrl"]
    assert by_gene["predicted"].tolist()[:3] == pytest.approx([-1.7, -1.5, -0.3])
    assert (by_gene["observed"][:2] < -0.5).all()  # JAK2 knock-out lowers STAT1, observed too
    by_perturbation = pg.effects(perturbation="JAK2+ctrl", dataset="toy", top=2)
    assert by_perturbation["gene"].tolist() == ["STAT1", "IRF1"]
    none = pg.effects(gene="STAT1", run="other_run", dataset="nope")
    assert none.empty and "predicted" in none.columns
    with pytest.raises(UsageError, match="exactly one of gene= or perturbation="):
        pg.effects(gene="STAT1", perturbation="JAK2+ctrl")


def test_docstring_examples_run(pg):
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = finder.find(api, globs={"pg": pg, "priorgraph": priorgraph})
    examples = [t for t in tests if t.examples]
    assert len(examples) >= 8  # connect, gene_ids and every method but close
    for test in examples:
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


def python_blocks(text: str) -> list[str]:
    """The ```python blocks of a markdown page, in order."""
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.M | re.S)


def test_the_docs_notebook_runs_top_to_bottom(small_graph, user_env, monkeypatch, tmp_path):
    api_graph.cells().write_h5ad(tmp_path / "cells.h5ad")
    monkeypatch.chdir(tmp_path)
    blocks = python_blocks(DOCS.read_text())
    assert len(blocks) >= 6
    namespace: dict = {}
    for number, block in enumerate(blocks, 1):
        try:
            exec(compile(block, f"docs/api.md block {number}", "exec"), namespace)
        except Exception as err:  # the failing block, named, with its code
            raise AssertionError(f"docs/api.md block {number} failed:\n{block}") from err
    # what the walk-through computed is what the small graph holds
    assert namespace["data"].num_nodes == 7 and namespace["data"].unannotated == ["human:NOTAGENE"]
    assert namespace["x"].shape == (7, 4)
    assert namespace["hits"]["perturbation"].tolist()[0] == "JAK2+IRF1"
    assert namespace["n_genes"] == 6


def test_the_readme_python_example_runs(small_graph, user_env):
    (block,) = python_blocks(README.read_text())
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["data"].num_nodes == 4 and namespace["x"].shape == (4, 4)
    namespace["pg"].close()
