"""Which node ids a database holds (the build's graph: tests/kg/test_bulk.py)."""

from priorgraph.kg.existing import existing_ids


def test_existing_ids_of_a_database(graph):
    graph.write("CREATE (:Gene {id: 'human:A'}), (:Peak {id: 'hg38:chr1:1-2'})")
    assert existing_ids(graph, "Gene", ["human:A", "human:B", "human:A"]) == {"human:A"}
    assert existing_ids(graph, "Peak", ["hg38:chr1:1-2", "human:A"]) == {"hg38:chr1:1-2"}
