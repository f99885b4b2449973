from priorgraph.ingest.sample import DEMO_GENES, generated_sample, load_sample, real_sample


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


def test_real_sample_has_known_annotations(shared_data, monkeypatch):
    monkeypatch.setenv("PRIORGRAPH_DATA_DIR", str(shared_data))
    sample = real_sample()
    assert len(sample.genes) == len(DEMO_GENES)
    annotations = {(a["start"], a["end"]) for a in sample.annotations}
    # TP53: intrinsic apoptotic signaling pathway in response to DNA damage by p53 class mediator
    assert ("human:TP53", "GO:0042771") in annotations
    assert len([a for a in annotations if a[0] == "human:TP53"]) == 140
    assert sample.provenance.version == "2024-02-20"
