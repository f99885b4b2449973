import random

import numpy as np
import pandas as pd
import pytest

from priorgraph.core.errors import GeneListError, UsageError
from priorgraph.ingest import go_graph
from priorgraph.ingest.go_graph import GOGraphSpec, all_pairs_go_similarity, go_similarity


def random_case(seed: int) -> tuple[list[str], dict[str, set[str]], int, float]:
    """Few terms (many ties, many identical sets), some genes without any annotation."""
    rng = random.Random(seed)
    n, n_terms = rng.randint(1, 45), rng.randint(1, 7)
    genes = [f"g{i}" for i in range(n)]
    gene_terms = {
        g: {f"GO:{rng.randrange(n_terms):07d}" for _ in range(rng.randint(0, 4))}
        for g in genes
        if rng.random() < 0.85
    }
    rng.shuffle(genes)
    return genes, gene_terms, rng.randint(0, 6), rng.choice([0.1, 0.0, 0.25, 0.5])


def in_reference_order(edges, genes):
    position = {g: i for i, g in enumerate(genes)}
    return sorted(edges, key=lambda e: (position[e[1]], e[3]))


@pytest.mark.parametrize("seed", range(60))
def test_sparse_build_equals_brute_force_with_ties_and_unannotated(seed):
    genes, gene_terms, k, threshold = random_case(seed)
    result = go_similarity(genes, gene_terms, k=k, threshold=threshold, block=1 + seed % 7)
    brute = all_pairs_go_similarity(genes, gene_terms, k=k, threshold=threshold)
    assert in_reference_order(result.triples(), genes) == brute
    assert result.unannotated == [g for g in genes if not gene_terms.get(g)]


def gears_reference(genes, gene_terms, k):
    """GEARS's own procedure (get_go_auto + get_similarity_network), restated with pandas."""
    gene2go = {g: list(gene_terms[g]) for g in genes if gene_terms.get(g)}
    rows = [
        (g1, g2, len(np.intersect1d(gene2go[g1], gene2go[g2]))
         / len(np.union1d(gene2go[g1], gene2go[g2])))
        for g1 in gene2go for g2 in gene2go
    ]  # fmt: skip
    df = pd.DataFrame([r for r in rows if r[2] > 0.1], columns=["source", "target", "importance"])
    out = []
    for target, group in df.groupby("target", sort=False):
        top = group.nlargest(k + 1, ["importance"])
        out += [(s, target, j, r) for r, (s, j) in
                enumerate(zip(top.source, top.importance, strict=True), 1)]  # fmt: skip
    return out


@pytest.mark.parametrize("seed", range(15))
def test_same_edges_and_weights_as_gears_pandas_procedure(seed):
    """GEARS has no rank; its edge set (who is in the top k + 1, ties at the cut decided by
    ``nlargest(keep='first')``, i.e. gene-list order) must be ours."""
    genes, gene_terms, k, _ = random_case(100 + seed)
    ours = sorted(e[:3] for e in go_similarity(genes, gene_terms, k=k).triples())
    assert ours == sorted(e[:3] for e in gears_reference(genes, gene_terms, k))


def test_hand_checked_values():
    gene_terms = {"A": {"GO:1", "GO:2"}, "B": {"GO:1", "GO:2"}, "C": {"GO:1", "GO:3", "GO:4"},
                  "D": {"GO:9"}, "E": set()}  # fmt: skip
    result = go_similarity(["A", "B", "C", "D", "E", "F"], gene_terms, k=1)
    # into A: A (1.0) and B (1.0) tie; C has J = 1/4; k + 1 = 2 keeps A then B (list order)
    assert result.triples() == [
        ("A", "A", 1.0, 1), ("B", "A", 1.0, 2),
        ("A", "B", 1.0, 1), ("B", "B", 1.0, 2),
        ("C", "C", 1.0, 1), ("A", "C", 0.25, 2),
        ("D", "D", 1.0, 1),
    ]  # fmt: skip
    assert result.unannotated == ["E", "F"]
    # J = 1/10 exactly is not kept (J > 0.1)
    tenth = {"X": {f"GO:{i}" for i in range(10)}, "Y": {"GO:0"}}
    assert [e[:2] for e in go_similarity(["X", "Y"], tenth).triples()] == [
        ("X", "X"),
        ("Y", "Y"),
    ]


def test_read_gene_list(tmp_path):
    path = tmp_path / "genes.txt"
    path.write_text("# perturbed\nKLF1\nGATA1\tx\nKLF1\n\nmouse:Klf1\n")
    assert go_graph.read_gene_list(path) == ["human:KLF1", "human:GATA1", "mouse:Klf1"]
    path.write_text("# nothing\n")
    with pytest.raises(GeneListError, match="no genes"):
        go_graph.read_gene_list(path)


# ------------------------------------------------------------------ with Neo4j


def load(graph, gene_terms, source="go.test"):
    graph.write(
        "UNWIND $rows AS row MERGE (g:Gene {id: row.gene}) WITH g, row UNWIND row.terms AS t "
        "MERGE (x:GOTerm {id: t}) MERGE (g)-[:ANNOTATED_WITH {source: $source, "
        "source_version: 'v1'}]->(x)",
        {"rows": [{"gene": g, "terms": sorted(t)} for g, t in gene_terms.items()],
         "source": source},
    )  # fmt: skip


def test_build_stores_edges_record_and_rebuild_replaces_them(graph):
    gene_terms = {"human:A": {"GO:1", "GO:2"}, "human:B": {"GO:1", "GO:2", "GO:3"},
                  "human:C": {"GO:3"}, "human:D": {"GO:7"}}  # fmt: skip
    load(graph, gene_terms)
    graph.write("CREATE (:Gene {id: 'human:E'})")
    record = go_graph.build_go_graph(graph, GOGraphSpec("t", k=1), progress=False)
    assert (record["n_genes"], record["n_edges"], record["annotation_versions"]) == (4, 7, ["v1"])
    edges = graph.read(
        "MATCH (a)-[r:GO_SIMILAR {graph: 't'}]->(b) RETURN a.id AS s, b.id AS t, "
        "r.jaccard AS j, r.rank AS r, r.source AS src ORDER BY t, r"
    )
    assert [(e["s"][6:], e["t"][6:], round(e["j"], 4), e["r"]) for e in edges] == [
        ("A", "A", 1.0, 1), ("B", "A", 0.6667, 2),
        ("B", "B", 1.0, 1), ("A", "B", 0.6667, 2),
        ("C", "C", 1.0, 1), ("B", "C", 0.3333, 2),
        ("D", "D", 1.0, 1),
    ]  # fmt: skip
    assert {e["src"] for e in edges} == {"priorgraph.go_graph"}
    # the same build again: nothing new; a different k: old edges replaced, not accumulated
    again = go_graph.build_go_graph(graph, GOGraphSpec("t", k=1), progress=False)
    assert again["created"] == 0
    go_graph.build_go_graph(graph, GOGraphSpec("t", k=0), progress=False)
    rows = graph.read("MATCH ()-[r:GO_SIMILAR]->() RETURN count(r) AS n, max(r.rank) AS r")
    assert rows == [{"n": 4, "r": 1}]
    spec = graph.read("MATCH (s:GOGraph {id: 't'}) RETURN s.k AS k, s.n_edges AS n")
    assert spec == [{"k": 0, "n": 4}]


def test_build_for_a_gene_list_lists_unannotated(graph):
    load(graph, {"human:A": {"GO:1"}, "human:B": {"GO:1"}})
    record = go_graph.build_go_graph(
        graph, GOGraphSpec("sub", k=5), ["human:B", "human:Z", "human:A"], progress=False
    )
    assert record["unannotated"] == ["human:Z"] and record["n_edges"] == 4
    with pytest.raises(UsageError, match="no GO annotations found"):
        go_graph.build_go_graph(graph, GOGraphSpec("x", source="nope"), progress=False)
