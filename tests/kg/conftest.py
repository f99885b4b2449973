"""Fixtures of the kg tests: a tiny priorgraph-shaped graph around STAT1."""

import pytest

from priorgraph.kg.connection import Graph

PERTURBATION = "papalexi2021/JAK2+ctrl"
SEED = """
CREATE (stat1:Gene {id: 'human:STAT1', symbol: 'STAT1', species: 'human'}),
       (stat2:Gene {id: 'human:STAT2', symbol: 'STAT2', species: 'human'}),
       (jak2:Gene {id: 'human:JAK2', symbol: 'JAK2', species: 'human'}),
       (ifn:GOTerm {id: 'GO:0060337', name: 'type I interferon-mediated signaling pathway',
                    namespace: 'biological_process'}),
       (root:GOTerm {id: 'GO:0008150', name: 'biological_process',
                     namespace: 'biological_process'}),
       (stat1)-[:ANNOTATED_WITH {evidence: 'IDA'}]->(ifn),
       (stat2)-[:ANNOTATED_WITH {evidence: 'IDA'}]->(ifn),
       (stat1)-[:ANNOTATED_WITH {inferred: true}]->(root),
       (:GOGraph {id: 'demo_go', build: 'b1', k: 20, n_genes: 2, n_edges: 1, unannotated: []}),
       (stat2)-[:GO_SIMILAR {graph: 'demo_go', version: 'b1', rank: 1, jaccard: 0.5}]->(stat1),
       (jak2)-[:GO_SIMILAR {graph: 'demo_go', version: 'b0', rank: 1, jaccard: 0.9}]->(stat1),
       (p38:Peak {id: 'hg38:chr2:100-600', assembly: 'hg38', species: 'human', conserved: true}),
       (p19:Peak {id: 'hg19:chr2:90-590', assembly: 'hg19', species: 'human'}),
       (weak:Peak {id: 'hg38:chr2:9000-9500', assembly: 'hg38', species: 'human'}),
       (p38)-[:LINKED_TO {method: 'window', assembly: 'hg38', weight: 0.9, distance: 100, sign: 1,
                         version: 'l1'}]->(stat1),
       (weak)-[:LINKED_TO {method: 'window', assembly: 'hg38', weight: 0.1, distance: 9000, sign: 1,
                           version: 'l1'}]->(stat1),
       (p38)-[:LIFTS_TO {overlap: 0.95}]->(p19),
       (jak2ko:Perturbation {id: $perturbation, condition: 'JAK2+ctrl', dataset: 'papalexi2021'}),
       (:ModelRun {id: 'run1', model: 'adapert', dataset: 'papalexi2021', created: 1}),
       (jak2ko)-[:PREDICTED_EFFECT {run: 'run1', delta: -1.5, rank: 1, version: 'e1'}]->(stat1),
       (jak2ko)-[:PREDICTED_EFFECT {run: 'run1', delta: 0.2, rank: 2, version: 'e1'}]->(stat2),
       (jak2ko)-[:OBSERVED_EFFECT {delta: -1.2, de_rank: 1}]->(stat1),
       (jak2)-[:LEARNED_EDGE {run: 'run1', perturbation: $perturbation, weight: 0.8,
                              gate: 1.0, version: 'g1'}]->(stat1),
       (:RelationshipSet {id: 'LINKED_TO{"assembly":"hg38","method":"window"}', type: 'LINKED_TO',
                          method: 'window', assembly: 'hg38', version: 'l1'}),
       (:RelationshipSet {id: 'PREDICTED_EFFECT{"run":"run1"}', type: 'PREDICTED_EFFECT',
                          run: 'run1', version: 'e1'}),
       (:RelationshipSet {id: 'LEARNED_EDGE{"run":"run1"}', type: 'LEARNED_EDGE', run: 'run1',
                          version: 'g1'})
"""


@pytest.fixture
def stat1_graph(graph: Graph) -> Graph:
    """The test graph holding :data:`SEED`: STAT1 with its GO terms (one inferred), a GO graph
    (a current and a stale edge), linked and lifted peaks, a run's predicted effects and a
    learned edge of perturbation :data:`PERTURBATION`."""
    graph.write(SEED, {"perturbation": PERTURBATION})
    return graph
