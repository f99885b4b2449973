"""Guidance exports: GLUE MultiDiGraph rules and validator, HeteroData, GraphML, named queries."""

import gzip
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from priorgraph.core.errors import GuidanceGraphError
from priorgraph.ingest.gene_resolution import GeneReference, GeneResolver
from priorgraph.ingest.genes import read_genes, write_genes
from priorgraph.ingest.links import graph_features, window_links, write_links
from priorgraph.ingest.peaks import read_peaks, write_peaks
from priorgraph.kg import cypher
from priorgraph.kg.writer import Provenance
from priorgraph.queries.export import Export
from priorgraph.queries.export_guidance import (
    GuidanceTables,
    check_guidance,
    fetch_guidance,
    read_graphml,
    to_glue_graph,
    to_heterodata,
    validate_guidance,
    write_graphml,
)

PROV = Provenance("test.guidance", "v1")


def tables() -> GuidanceTables:
    genes = pd.DataFrame({"id": ["human:G", "human:H"], "name": ["G", "H"]})
    peaks = pd.DataFrame(
        {
            "id": ["hg38:chr1:1-9", "hg38:chr1:20-30", "hg38:chr2:1-5"],
            "name": ["chr1:1-9", "chr1:20-30", "chr2:1-5"],
        }
    )
    edges = pd.DataFrame(
        {
            "peak": ["hg38:chr1:1-9", "hg38:chr1:20-30"],
            "gene": ["human:G", "human:G"],
            "weight": [1.0, 0.5],
            "sign": [1, -1],
            "method": ["w", "w"],
        }
    )
    return GuidanceTables("hg38", "human", None, genes, peaks, edges)


def test_glue_graph_has_fwd_rev_and_loops():
    g = to_glue_graph(tables())
    assert isinstance(g, nx.MultiDiGraph)
    assert sorted(g.nodes) == ["G", "H", "chr1:1-9", "chr1:20-30", "chr2:1-5"]
    assert g.number_of_edges() == 2 * 2 + 5
    assert g.get_edge_data("G", "chr1:20-30")[0] == {
        "weight": 0.5,
        "sign": -1,
        "method": "w",
        "type": "fwd",
    }
    assert g.get_edge_data("chr1:20-30", "G")[0]["type"] == "rev"
    assert g.get_edge_data("H", "H")[0] == {"weight": 1.0, "sign": 1, "type": "loop"}
    assert validate_guidance(g, features=["G", "chr2:1-5"]) == []


def test_validator_reports_every_violation():
    g = to_glue_graph(tables())
    g.add_edge("G", "chr2:1-5", weight=0.0, sign=2, type="fwd")
    g.add_edge("H", "chr1:1-9", weight=0.3, sign=1, type="sideways")
    g.add_edge("chr2:1-5", "chr2:1-5", weight=1.0, sign=1, type="fwd")
    g.add_node("X")
    problems = validate_guidance(g, features=["Y"])
    assert "edge 'G' -> 'chr2:1-5' [0]: weight 0.0 not in (0, 1]" in problems
    assert "edge 'G' -> 'chr2:1-5' [0]: sign 2 not in {-1, 1}" in problems
    assert "edge 'H' -> 'chr1:1-9' [0]: type 'sideways' not in {fwd, rev, loop}" in problems
    assert "edge 'chr2:1-5' -> 'chr2:1-5' [1]: type 'fwd' on a self-edge" in problems
    assert "node 'X': no self-loop" in problems
    assert "fwd edge 'G' -> 'chr2:1-5' (weight 0.0, sign 2): no matching rev edge" in problems
    assert "feature 'Y': not a node of the graph" in problems
    assert len(problems) == 8  # the self-edge typed fwd also lacks a rev edge
    with pytest.raises(GuidanceGraphError, match="8 guidance-graph violation"):
        check_guidance(g, features=["Y"])
    assert validate_guidance(nx.DiGraph()) == [
        "graph is a DiGraph, GLUE needs a networkx MultiDiGraph"
    ]


def test_graphml_round_trip_stays_valid(tmp_path):
    written = write_graphml(tables(), tmp_path / "g.graphml.gz")
    assert (written.nodes, written.edges) == (5, 2 * 2 + 5)
    back = read_graphml(written.path)
    assert validate_guidance(back) == []
    assert back.get_edge_data("chr1:20-30", "G")[0]["sign"] == -1


def awkward() -> GuidanceTables:
    """Parallel links of two methods, names that need escaping, links listed out of order."""
    genes = pd.DataFrame({"id": ['human:B&<"', "human:A"], "name": ['B&<"', "A"]})
    peaks = pd.DataFrame({"id": ["hg38:chr2:1-5", "hg38:chr1:1-9"],
                          "name": ["chr2:1-5", "chr1:1-9"]})  # fmt: skip
    edges = pd.DataFrame({
        "peak": ["hg38:chr2:1-5", "hg38:chr1:1-9", "hg38:chr1:1-9", "hg38:chr1:1-9"],
        "gene": ["human:A", "human:A", "human:A", 'human:B&<"'],
        "weight": [0.1 + 0.2, 1.0, 2.5e-08, 0.5],
        "sign": [1, -1, 1, 1],
        "method": ["window", "cicero", "window", "a<b"],
    })  # fmt: skip
    return GuidanceTables("hg38", "human", None, genes, peaks, edges)


@pytest.mark.parametrize("make", [tables, awkward])
def test_streamed_graphml_is_what_networkx_writes(tmp_path, make):
    """Byte for byte the XML of nx.write_graphml(to_glue_graph(...)), in small chunks too."""
    t = make()
    nx.write_graphml(to_glue_graph(t), tmp_path / "nx.graphml")
    expected = (tmp_path / "nx.graphml").read_bytes()
    for chunk in (1, 2, 1000):
        write_graphml(t, tmp_path / "ours.graphml", chunk=chunk)
        assert (tmp_path / "ours.graphml").read_bytes() == expected
    write_graphml(t, tmp_path / "ours.graphml.gz")
    assert gzip.decompress((tmp_path / "ours.graphml.gz").read_bytes()) == expected
    empty = GuidanceTables("hg38", "human", None, t.genes, t.peaks, t.edges.iloc[:0])
    nx.write_graphml(to_glue_graph(empty), tmp_path / "nx.graphml")
    write_graphml(empty, tmp_path / "ours.graphml")
    assert (tmp_path / "ours.graphml").read_bytes() == (tmp_path / "nx.graphml").read_bytes()


def test_an_invalid_graph_is_refused_and_leaves_no_file(tmp_path):
    t = tables()
    t.edges.loc[0, "weight"] = 1.5
    with pytest.raises(GuidanceGraphError) as err:
        write_graphml(t, tmp_path / "g.graphml.gz")
    assert "1 guidance-graph violation(s)" in str(err.value)
    assert "link hg38:chr1:1-9 -> human:G (w): weight 1.5, sign 1" in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_heterodata_export_with_id_maps(tmp_path):
    export = to_heterodata(tables())
    data = export.data
    assert export.node_ids == {
        "gene": ["human:G", "human:H"],
        "peak": ["hg38:chr1:1-9", "hg38:chr1:20-30", "hg38:chr2:1-5"],
    }
    fwd = data["peak", "linked_to", "gene"]
    assert fwd.edge_index.tolist() == [[0, 1], [0, 0]]
    assert fwd.edge_weight.tolist() == [1.0, 0.5] and fwd.edge_sign.tolist() == [1, -1]
    assert data["gene", "rev_linked_to", "peak"].edge_index.tolist() == [[0, 0], [0, 1]]
    assert data["peak"].num_nodes == 3
    loaded = Export.load(export.save(tmp_path / "guidance.pt"))
    assert loaded.content_hash == export.content_hash


GENE_BED = (
    "chr1\t10000\t20000\tG\tENSG1\t+\tprotein_coding\n"
    "chr1\t50000\t60000\tH\tENSG2\t-\tprotein_coding\n"
)
PEAK_BED = "chr1\t9000\t9500\nchr1\t25000\t25500\nchr1\t200000\t200500\nchr2\t1\t50\n"


def load(graph, tmp_path: Path) -> None:
    (tmp_path / "g.bed").write_text(GENE_BED)
    (tmp_path / "p.bed").write_text(PEAK_BED)
    write_genes(graph, read_genes(tmp_path / "g.bed", "hg38"), PROV, progress=False)
    write_peaks(graph, read_peaks(tmp_path / "p.bed", "hg38"), PROV, progress=False)
    links = window_links(*graph_features(graph, "hg38"))
    write_links(graph, links, PROV, assembly="hg38", progress=False)
    graph.write("MATCH (p:Peak) WHERE p.start IN [9000, 25000] SET p.conserved = true")


def test_fetch_guidance_from_graph(graph, tmp_path):
    load(graph, tmp_path)
    t = fetch_guidance(graph, "hg38", features=["G", "H", "chr1:9000-9500", "chr9:1-2"])
    assert t.missing_features == ["chr9:1-2"]
    paged = fetch_guidance(graph, "hg38", page=1)  # one peak, one gene per page
    whole = fetch_guidance(graph, "hg38")
    assert paged.peaks.equals(whole.peaks) and paged.genes.equals(whole.genes)
    assert paged.edges.equals(whole.edges) and len(whole.edges) == 5
    assert t.peaks["name"].tolist() == ["chr1:9000-9500"]
    assert t.edges[["peak", "gene"]].values.tolist() == [
        ["hg38:chr1:9000-9500", "human:G"],
        ["hg38:chr1:9000-9500", "human:H"],
    ]
    full = fetch_guidance(graph, "hg38", peak_names="underscore")
    g = to_glue_graph(full)
    assert validate_guidance(g) == []
    assert g.number_of_nodes() == 6 and g.number_of_edges() == 2 * 5 + 6
    assert "chr2_1_50" in g  # isolated peaks keep their self-loop
    assert len(fetch_guidance(graph, "hg38", methods=["cicero"]).edges) == 0


def test_named_peak_queries(graph, tmp_path):
    load(graph, tmp_path)
    rows = cypher.run(graph, "peaks_conserved_for_gene", assembly="hg38", symbol="G", methods=None)
    assert [(r["peak"], r["distance"]) for r in rows] == [
        ("hg38:chr1:9000-9500", 0),
        ("hg38:chr1:25000-25500", 5001),
    ]
    top = cypher.run(graph, "peaks_top_conserved_genes", assembly="hg38", methods=None, limit=5)
    assert [(r["gene"], r["conserved_peaks"], r["linked_peaks"]) for r in top] == [
        ("G", 2, 2),
        ("H", 2, 3),
    ]
    assert top[0]["conserved_weight"] == pytest.approx(1 + 6.001**-0.75)
    shared = cypher.run(
        graph, "peaks_shared_by_genes", assembly="hg38", gene_a="G", gene_b="H", methods=None
    )
    assert [r["peak"] for r in shared] == ["hg38:chr1:9000-9500", "hg38:chr1:25000-25500"]


def test_gene_features_are_resolved_and_keep_their_names(graph, tmp_path, caplog):
    """GLUE matches graph nodes to var_names: a renamed gene's node takes the feature's name."""
    load(graph, tmp_path)
    reference = GeneReference("human", previous={"OLDG": ("G", None)})
    reference.add_genes([("G", "ENSG00000000001"), ("H", "ENSG00000000002")], "test")
    resolver = GeneResolver(reference)
    features = ["OLDG", "ENSG00000000002", "chr1:9000-9500", "NOPE"]
    with pytest.raises(GuidanceGraphError, match="features: 1 gene name.* not found: NOPE"):
        fetch_guidance(graph, "hg38", features=features, resolver=resolver, unknown_genes="error")
    t = fetch_guidance(graph, "hg38", features=features, resolver=resolver)
    assert "NOPE" in caplog.text
    assert t.genes.values.tolist() == [["human:G", "OLDG"], ["human:H", "ENSG00000000002"]]
    assert t.missing_features == ["NOPE"]
    assert t.names.renamed == {"OLDG": "G", "ENSG00000000002": "H"}
    g = to_glue_graph(t)
    assert sorted(g.nodes) == ["ENSG00000000002", "OLDG", "chr1:9000-9500"]
    assert g.get_edge_data("OLDG", "chr1:9000-9500")[0]["type"] == "fwd"
