from pathlib import Path

import pytest

from priorgraph import queries

DOCS = Path(__file__).resolve().parents[2] / "docs" / "queries.md"


def test_every_named_query_is_documented():
    text = DOCS.read_text()
    assert [n for n in queries.names() if f"`{n}`" not in text] == []


def test_queries_take_values_as_parameters_and_unknown_names_are_clear():
    assert "$(label)" in queries.load("graph_labels")
    with pytest.raises(KeyError, match="no named query 'nope'; known: .*graph_labels"):
        queries.load("nope")


def test_named_query_runs_read_only(graph):
    graph.write("CREATE (:Gene {id: 'human:A'}), (:Gene {id: 'human:B'})")
    assert queries.run(graph, "graph_labels") == [{"label": "Gene", "count": 2}]
