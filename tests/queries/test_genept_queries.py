import logging

import numpy as np
import pytest
from torch_geometric.data import Data

from priorgraph.core.errors import MissingFeaturesError, UsageError
from priorgraph.ingest import genept
from priorgraph.kg import cypher
from priorgraph.kg.schema import get_kind
from priorgraph.kg.writer import Provenance
from priorgraph.queries import features
from priorgraph.queries.export import Export

KIND = get_kind("genept").params()
VECTORS = {"KLF1": [1.0, 0.0, 0.0], "GATA1": [0.8, 0.6, 0.0], "TAL1": [0.6, 0.8, 0.0],
           "CD3E": [0.0, 0.0, 1.0], "NOGO": [0.99, 0.141, 0.0]}  # fmt: skip


@pytest.fixture
def loaded(graph):
    table = genept.EmbeddingTable("t", list(VECTORS), np.array(list(VECTORS.values()),
                                  dtype=np.float32), "m")  # fmt: skip
    genept.store(graph, table, Provenance("t", "1"), progress=False)
    # GO: KLF1 and GATA1 share GO:1; TAL1 has only GO:2; NOGO has no annotation
    graph.write("""
        MATCH (k:Gene {symbol:'KLF1'}), (g:Gene {symbol:'GATA1'}), (t:Gene {symbol:'TAL1'}),
              (c:Gene {symbol:'CD3E'})
        CREATE (a:GOTerm {id:'GO:1'}), (b:GOTerm {id:'GO:2'}), (d:GOTerm {id:'GO:3'})
        CREATE (k)-[:ANNOTATED_WITH]->(a), (g)-[:ANNOTATED_WITH]->(a), (g)-[:ANNOTATED_WITH]->(d),
               (t)-[:ANNOTATED_WITH]->(b), (c)-[:ANNOTATED_WITH]->(d)""")
    return graph


def test_similar_genes_by_cosine_through_the_index(loaded):
    rows = cypher.run(loaded, "genept_similar", gene_id="human:KLF1", k=3, candidates=3, **KIND)
    assert [(r["symbol"], r["cosine"]) for r in rows] == [
        ("NOGO", pytest.approx(0.9901, abs=2e-4)), ("GATA1", pytest.approx(0.8, abs=2e-4)),
        ("TAL1", pytest.approx(0.6, abs=2e-4)),
    ]  # fmt: skip


def test_similar_in_text_but_sharing_no_go_term(loaded):
    rows = cypher.run(loaded, "genept_similar_no_shared_go", gene_id="human:KLF1", k=5,
                       candidates=10, **KIND)  # fmt: skip
    # NOGO is unannotated (not evidence of anything), GATA1 shares GO:1: only TAL1 and CD3E left
    assert [(r["symbol"], r["go_terms"]) for r in rows] == [("TAL1", 1), ("CD3E", 1)]


def test_go_overlap_of_text_neighbours(loaded):
    rows = cypher.run(
        loaded, "genept_similar_go_overlap", gene_id="human:GATA1", k=3, candidates=40, **KIND
    )
    # GATA1 {GO:1, GO:3}; TAL1 {GO:2}: Jaccard 0; NOGO {}: 0; KLF1 {GO:1}: 1 / 2
    assert [(r["symbol"], r["shared"], r["go_jaccard"]) for r in rows] == [
        ("TAL1", 0, 0.0),
        ("NOGO", 0, 0.0),
        ("KLF1", 1, 0.5),
    ]


def test_text_not_go_pairs_over_the_whole_graph(loaded):
    rows = cypher.run(loaded, "genept_text_not_go_pairs", candidates=5, min_cosine=0.55,
                       limit=10, **KIND)  # fmt: skip
    assert [(r["gene_a"], r["gene_b"]) for r in rows] == [("GATA1", "TAL1"), ("KLF1", "TAL1")]


def test_features_align_with_an_export_and_report_missing(loaded):
    ids = ["human:TAL1", "human:NOTHERE", "human:KLF1"]
    with pytest.raises(MissingFeaturesError, match="1 of 3 genes .*human:NOTHERE"):
        features.gene_features(loaded, ids)
    zero = features.gene_features(loaded, ids, fill="zero")
    assert zero.matrix.tolist() == [
        [pytest.approx(0.6), pytest.approx(0.8), 0],
        [0, 0, 0],
        [1, 0, 0],
    ]
    assert zero.missing == ["human:NOTHERE"] and zero.present.tolist() == [True, False, True]
    mean = features.features_for_export(
        loaded, Export(Data(num_nodes=3), {"node": ids}), fill="mean"
    )
    assert mean.matrix[1].tolist() == pytest.approx([0.8, 0.4, 0.0])
    assert mean.tensor().shape == (3, 3)


def test_filled_rows_are_counted_and_warned_about_above_the_threshold(loaded, caplog):
    ids = ["human:TAL1", "human:NOTHERE", "human:KLF1"]
    with caplog.at_level(logging.WARNING, logger="priorgraph"):
        quiet = features.gene_features(loaded, ids, fill="mean", warn_above=0.5)
    assert quiet.filled == 1 and quiet.fill_summary() == "1 of 3 rows (33%) mean-filled"
    assert caplog.text == ""
    with caplog.at_level(logging.WARNING, logger="priorgraph"):
        loud = features.gene_features(loaded, ids, fill="zero")  # default: warn above 20 %
    assert loud.filled == 1 and "1 of 3 rows (33%) zero-filled, more than 20%" in caplog.text
    whole = features.gene_features(loaded, ["human:TAL1", "human:KLF1"], fill="zero")
    assert whole.filled == 0 and whole.fill_summary() == "no row filled"


def test_read_ids_from_export_map_and_plain_list(tmp_path):
    tsv = tmp_path / "g.pt.ids.tsv"
    tsv.write_text("node_type\trow\tid\nnode\t1\thuman:B\nnode\t0\thuman:A\nother\t0\tx\n")
    assert features.read_ids(tsv) == ["human:A", "human:B"]
    plain = tmp_path / "ids.txt"
    plain.write_text("# genes\nKLF1\nhuman:GATA1\n\n")
    assert features.read_ids(plain) == ["human:KLF1", "human:GATA1"]
    with pytest.raises(UsageError, match="unknown embedding kind 'x'; known: genept"):
        get_kind("x")
