"""The bulk sink: the writer's API into importer CSV files (no server needed)."""

import csv
import gzip

import numpy as np
import pytest

from priorgraph.kg.bulk import ARRAY_DELIMITER, EMPTY_LIST, BulkError, BulkGraph, BulkWriter
from priorgraph.kg.existing import existing_ids
from priorgraph.kg.writer import Provenance

GENE = ("Gene", "id")


def read(path):
    with gzip.open(path, "rt", newline="") as f:
        return list(csv.reader(f))


def raw(path):
    with gzip.open(path, "rt", newline="") as f:
        return f.read().split("\n")


@pytest.fixture
def writer():
    return BulkWriter(BulkGraph(), Provenance("test", "v1"))


def test_nodes_merge_on_their_key_like_set_plus_equals(writer):
    counts = writer.merge_nodes("Gene", [{"id": "hs:A", "symbol": "A", "n": 1}])
    assert counts.nodes_created == 1
    writer.provenance = Provenance("other", "v2")
    counts = writer.merge_nodes("Gene", [{"id": "hs:A", "symbol": None, "n": 2, "x": 0.5}])
    assert counts.nodes_created == 0
    assert writer.graph.nodes["Gene"]["hs:A"] == {
        "id": "hs:A", "symbol": "A", "n": 2, "x": 0.5, "source": "other", "source_version": "v2"
    }  # fmt: skip


def test_relationships_need_both_ends_and_merge_on_their_keys(writer):
    writer.merge_nodes("Gene", [{"id": "hs:A"}, {"id": "hs:B"}])
    rows = [
        {"start": "hs:A", "end": "hs:B", "source": "s1", "w": 1},
        {"start": "hs:A", "end": "hs:B", "source": "s1", "w": 2},  # the same: merged
        {"start": "hs:A", "end": "hs:B", "source": "s2", "w": 3},  # another key: parallel
        {"start": "hs:A", "end": "hs:MISSING", "source": "s1"},
    ]
    counts = writer.merge_relationships("R", rows, start=GENE, end=GENE, keys=("source",))
    assert (counts.rows, counts.relationships_created, counts.unmatched) == (4, 2, 1)
    merged = writer.graph.relationships[("R", "Gene", "Gene")].merged
    assert merged[("hs:A", "hs:B", "s1")]["w"] == 2
    assert merged[("hs:A", "hs:B", "s2")]["source_version"] == "v1"


def test_a_replaced_set_gets_its_version_and_pointer_and_a_second_replace_drops_the_first(writer):
    writer.merge_nodes("Gene", [{"id": "hs:A"}, {"id": "hs:B"}])
    scope = {"graph": "g"}
    writer.replace_relationships("GO_SIMILAR", [{"start": "hs:A", "end": "hs:B", "rank": 1}],
                                 start=GENE, end=GENE, scope=scope, version="v-one")  # fmt: skip
    writer.replace_relationships("GO_SIMILAR", [{"start": "hs:B", "end": "hs:A", "rank": 1}],
                                 start=GENE, end=GENE, scope=scope, version="v-two")  # fmt: skip
    rows = list(writer.graph.relationships[("GO_SIMILAR", "Gene", "Gene")].rows())
    fixed = {"graph": "g", "version": "v-two", "source": "test", "source_version": "v1"}
    assert rows == [("hs:B", "hs:A", {"rank": 1}, fixed)]
    pointer = writer.graph.nodes["RelationshipSet"]['GO_SIMILAR{"graph":"g"}']
    assert (pointer["version"], pointer["count"], pointer["type"]) == ("v-two", 1, "GO_SIMILAR")


def test_deleting_nodes_detaches_them_from_merged_and_set_relationships(writer):
    writer.merge_nodes("Gene", [{"id": "hs:A"}, {"id": "hs:B"}, {"id": "hs:C"}])
    writer.merge_relationships("R", [{"start": "hs:A", "end": "hs:B"},
                                     {"start": "hs:C", "end": "hs:B"}],
                               start=GENE, end=GENE)  # fmt: skip
    pairs = [{"start": "hs:B", "end": "hs:A"}, {"start": "hs:B", "end": "hs:C"}]
    writer.replace_relationships(
        "GO_SIMILAR", pairs, start=GENE, end=GENE, scope={"graph": "g"}, version="v"
    )

    assert writer.graph.delete_nodes("Gene", ["hs:A", "hs:NONE"]) == 1

    assert set(writer.graph.nodes["Gene"]) == {"hs:B", "hs:C"}
    assert [r[:2] for r in writer.graph.relationships[("R", "Gene", "Gene")].rows()] == [
        ("hs:C", "hs:B")
    ]
    assert [r[:2] for r in writer.graph.relationships[("GO_SIMILAR", "Gene", "Gene")].rows()] == [
        ("hs:B", "hs:C")
    ]


def test_a_job_statement_runs_as_the_bulk_form_it_is_given():
    seen = []
    forms = {"MATCH (n) RETURN n": lambda graph, params: seen.append((graph, params))}
    writer = BulkWriter(BulkGraph(), Provenance("test", "v1"), statements=forms)
    writer.execute("MATCH (n) RETURN n", {"x": 1})
    assert seen == [(writer.graph, {"x": 1})]


def test_csv_types_nulls_empty_strings_and_lists(writer, tmp_path):
    writer.merge_nodes("GOTerm", [
        {"id": "GO:1", "name": 'say "hi", then\nleave', "alt": ["GO:9", "GO:8"], "n": 3,
         "f": 0.1, "ok": True, "empty": ""},
        {"id": "GO:2", "name": None, "alt": [], "n": 4, "f": 2, "ok": False, "empty": None},
    ])  # fmt: skip
    files = writer.graph.write(tmp_path)
    header, one, two = read(tmp_path / "nodes_GOTerm.csv.gz")
    assert header == [
        "id:ID(GOTerm)", "name:string", "alt:string[]", "n:long", "f:double", "ok:boolean",
        "empty:string", "source:string", "source_version:string",
    ]  # fmt: skip
    assert one == ["GO:1", 'say "hi", then\nleave', f"GO:9{ARRAY_DELIMITER}GO:8", "3", "0.1",
                   "true", "", "test", "v1"]  # fmt: skip
    assert two == ["GO:2", "", EMPTY_LIST, "4", "2.0", "false", "", "test", "v1"]
    # a missing value is an unquoted empty cell, an empty string a quoted one
    assert raw(tmp_path / "nodes_GOTerm.csv.gz")[-2].startswith('"GO:2",,"\x1e",4,2.0,"false",,')
    assert "--multiline-fields=true" in files.options
    assert files.statements() == [(
        "build_empty_lists_nodes_find", "build_empty_lists_nodes_set",
        {"label": "GOTerm", "property": "alt", "marker": EMPTY_LIST},
    )]  # fmt: skip
    assert files.labels == {"GOTerm": 2}


def test_what_has_no_bulk_form_is_refused(writer, tmp_path):
    with pytest.raises(BulkError, match="no bulk form"):
        writer.execute("MATCH (n) DETACH DELETE n")
    writer.merge_nodes("Gene", [{"id": "hs:A", "v": [1.0]}, {"id": "hs:B", "v": []}])
    with pytest.raises(BulkError, match="empty list in a double"):
        writer.graph.write(tmp_path)
    writer.merge_nodes("Gene", [{"id": "hs:B", "v": "text"}])
    with pytest.raises(BulkError, match="both double\\[\\] and string"):
        writer.graph.write(tmp_path)


def test_a_float32_vector_is_a_float_array_written_exactly(writer, tmp_path):
    vector = np.array([0.1, -2.5, 1e-7], dtype=np.float32)
    writer.merge_nodes("Gene", [{"id": "hs:A", "genept": vector}, {"id": "hs:B"}])
    writer.graph.write(tmp_path)
    header, a, b = read(tmp_path / "nodes_Gene.csv.gz")
    assert header[1] == "genept:float[]"
    cells = a[1].split(ARRAY_DELIMITER)
    assert cells[0] == "0.10000000149011612"  # the float32 0.1, as the double it is
    assert np.array_equal(np.array(cells, dtype=np.float32), vector)
    assert b[1] == ""  # no vector: no property


def test_existing_ids_of_a_build():
    bulk = BulkGraph()
    BulkWriter(bulk, Provenance("test", "v1")).merge_nodes("Gene", [{"id": "hs:A"}])
    assert existing_ids(bulk, "Gene", ["hs:A", "hs:B", "hs:A"]) == {"hs:A"}
    assert existing_ids(bulk, "Peak", ["hg38:chr1:1-2"]) == set()
