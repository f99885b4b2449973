from priorgraph.ingest.sample import generated_sample, load_sample


def test_generated_sample_loads_idempotently(graph):
    sample = generated_sample(n_genes=6, n_terms=8, seed=1)
    first = load_sample(graph, sample)
    assert first["Gene"].nodes_created == 6
    assert first["IS_A"].relationships_created == 7
    assert first["ANNOTATED_WITH"].relationships_created == 30
    again = load_sample(graph, sample)
    assert sum(c.nodes_created + c.relationships_created for c in again.values()) == 0
    rows = graph.read("MATCH (:Gene)-[r:ANNOTATED_WITH]->(:GOTerm) RETURN count(r) AS n")
    assert rows == [{"n": 30}]
