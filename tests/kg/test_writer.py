import pytest

from priorgraph.kg.writer import (
    BatchWriter,
    Provenance,
    WriteCounts,
    batched,
    grouped_by_start,
    node_merge_query,
    relationship_merge_query,
)

PROV = Provenance("test.source", "v1")
GENE = ("Gene", "id")


def genes(n: int) -> list[dict]:
    return [{"id": f"human:G{i}", "symbol": f"G{i}", "species": "human"} for i in range(n)]


def edges(n: int) -> list[dict]:
    return [
        {"start": f"human:G{i}", "end": f"human:G{(i + 1) % n}", "rho": i / n} for i in range(n)
    ]


def counts(graph) -> tuple[int, int]:
    row = graph.read(
        "MATCH (n) OPTIONAL MATCH (n)-[r]->() RETURN count(DISTINCT n) AS n, count(r) AS r"
    )[0]
    return row["n"], row["r"]


# --- unit: no server ------------------------------------------------------------------------


def test_batched_splits_into_chunks_of_at_most_size():
    assert [len(b) for b in batched(range(25), 10)] == [10, 10, 5]
    assert list(batched([], 3)) == []


def test_queries_merge_on_key_and_stamp_provenance():
    q = node_merge_query("Gene")
    assert "MERGE (n:Gene {id: row.id})" in q
    assert "n.source = $source, n.source_version = $source_version" in q
    r = relationship_merge_query("LEARNED_EDGE", GENE, GENE, keys=("run", "perturbation"))
    assert (
        "MERGE (a)-[r:LEARNED_EDGE {run: row.props.run, perturbation: row.props.perturbation}]->(b)"
        in r
    )


def test_identifiers_that_are_not_plain_names_are_refused():
    with pytest.raises(ValueError, match="not a plain identifier"):
        node_merge_query("Gene) DETACH DELETE n //")
    with pytest.raises(ValueError, match="not a plain identifier"):
        relationship_merge_query("X", GENE, ("Gene", "id}) DELETE a"))


def test_rows_are_grouped_by_start_with_each_end_once():
    rows = [{"start": "a", "end": "x", "props": {"w": 1}}, {"start": "b", "end": "y", "props": {}},
            {"start": "a", "end": "y", "props": {"w": 3}}]  # fmt: skip
    assert grouped_by_start(rows) == {
        "ends": ["x", "y"],
        "rows": [{"start": "a", "ends": [0, 1], "props": [{"w": 1}, {"w": 3}]},
                 {"start": "b", "ends": [1], "props": [{}]}],
    }  # fmt: skip


def test_write_counts_add_up():
    total = WriteCounts(rows=2, nodes_created=1)
    total += WriteCounts(rows=3, unmatched=1)
    assert total.as_dict() == {
        "rows": 5,
        "nodes_created": 1,
        "relationships_created": 0,
        "relationships_deleted": 0,
        "properties_set": 0,
        "unmatched": 1,
    }


# --- integration: real Neo4j ----------------------------------------------------------------


def test_same_batch_twice_leaves_same_counts(graph):
    writer = BatchWriter(graph, PROV, batch_size=7, progress=False)
    first = writer.merge_nodes("Gene", genes(30))
    rel = writer.merge_relationships("COEXPRESSED", edges(30), start=GENE, end=GENE)
    assert (first.rows, first.nodes_created) == (30, 30)
    assert (rel.rows, rel.relationships_created, rel.unmatched) == (30, 30, 0)
    assert counts(graph) == (30, 30)

    again = writer.merge_nodes("Gene", genes(30))
    rel_again = writer.merge_relationships("COEXPRESSED", edges(30), start=GENE, end=GENE)
    assert (again.nodes_created, rel_again.relationships_created) == (0, 0)
    assert counts(graph) == (30, 30)
    rho = graph.read("MATCH (:Gene {id:'human:G3'})-[r:COEXPRESSED]->() RETURN r.rho AS rho")
    assert rho == [{"rho": 0.1}]


def test_every_node_and_relationship_records_source_and_version(graph):
    writer = BatchWriter(graph, PROV, progress=False)
    writer.merge_nodes("Gene", genes(3))
    writer.merge_relationships("COEXPRESSED", edges(3), start=GENE, end=GENE)
    rows = graph.read(
        "MATCH (n) OPTIONAL MATCH (n)-[r]->() "
        "RETURN collect(DISTINCT [n.source, n.source_version]) AS n, "
        "collect(DISTINCT [r.source, r.source_version]) AS r"
    )
    assert rows == [{"n": [["test.source", "v1"]], "r": [["test.source", "v1"]]}]


def test_key_properties_keep_parallel_relationships_apart(graph):
    writer = BatchWriter(graph, PROV, progress=False)
    writer.merge_nodes("Gene", genes(2))
    rows = [{"start": "human:G0", "end": "human:G1", "run": run, "weight": w}
            for run, w in (("run-a", 0.5), ("run-b", 0.7), ("run-a", 0.9))]  # fmt: skip
    c = writer.merge_relationships("LEARNED_EDGE", rows, start=GENE, end=GENE, keys=("run",))
    assert c.relationships_created == 2
    got = graph.read(
        "MATCH ()-[r:LEARNED_EDGE]->() RETURN r.run AS run, r.weight AS w ORDER BY run"
    )
    assert got == [{"run": "run-a", "w": 0.9}, {"run": "run-b", "w": 0.7}]


def test_rows_with_missing_endpoints_are_counted_not_created(graph):
    writer = BatchWriter(graph, PROV, progress=False)
    writer.merge_nodes("Gene", genes(2))
    rows = [{"start": "human:G0", "end": "human:G1"}, {"start": "human:G0", "end": "human:NOPE"}]
    c = writer.merge_relationships("COEXPRESSED", rows, start=GENE, end=GENE)
    assert (c.relationships_created, c.unmatched) == (1, 1)
    assert counts(graph) == (2, 1)


def test_injection_attempt_is_stored_as_data(graph):
    evil = 'x"}) DETACH DELETE n //'
    writer = BatchWriter(graph, PROV, progress=False)
    writer.merge_nodes("Gene", [*genes(3), {"id": evil, "symbol": evil}])
    assert graph.read("MATCH (g:Gene {id: $id}) RETURN g.symbol AS s", {"id": evil}) == [
        {"s": evil}
    ]
    assert counts(graph) == (4, 0)


def test_transaction_block_is_all_or_nothing(graph):
    writer = BatchWriter(graph, PROV, batch_size=2, progress=False)
    with pytest.raises(ValueError, match="lacks merge key"), writer.transaction():
        writer.merge_nodes("Gene", genes(5))
        writer.merge_relationships(
            "LEARNED_EDGE",
            [{"start": "human:G0", "end": "human:G1"}],
            start=GENE,
            end=GENE,
            keys=("run",),
        )
    assert counts(graph) == (0, 0)


def test_record_source_keeps_one_node_per_source(graph):
    writer = BatchWriter(graph, PROV, progress=False)
    writer.record_source(rows=3)
    writer.record_source(rows=4)
    rows = graph.read("MATCH (s:Source) RETURN s.id AS id, s.version AS v, s.rows AS rows")
    assert rows == [{"id": "test.source", "v": "v1", "rows": 4}]


def linked(graph) -> list[dict]:
    """LINKED_TO as stored: method, version, count, sources (every version, current or not)."""
    return graph.read(
        "MATCH ()-[r:LINKED_TO]->() RETURN r.method AS m, r.version AS v, count(*) AS n, "
        "collect(DISTINCT r.source) AS src ORDER BY m, v"
    )


def current(graph) -> dict[str, tuple[str, int]]:
    rows = graph.read(
        "MATCH (s:RelationshipSet) RETURN s.method AS m, s.version AS v, s.count AS n"
    )
    return {r["m"]: (r["v"], r["n"]) for r in rows}


def test_replace_relationships_swaps_one_scope_and_is_idempotent(graph):
    writer = BatchWriter(graph, PROV, batch_size=4, progress=False)
    writer.merge_nodes("Gene", genes(10))
    first = writer.replace_relationships(
        "LINKED_TO", edges(10), start=GENE, end=GENE, scope={"method": "window", "assembly": "hg38"}
    )
    other = writer.replace_relationships(
        "LINKED_TO", edges(3), start=GENE, end=GENE, scope={"method": "abc", "assembly": "hg38"}
    )
    assert (first.relationships_created, first.relationships_deleted) == (10, 0)
    assert other.relationships_created == 3
    window_v1 = current(graph)["window"][0]
    # the same rows again: the version is current, nothing is written or deleted
    same = writer.replace_relationships(
        "LINKED_TO", edges(10), start=GENE, end=GENE, scope={"method": "window", "assembly": "hg38"}
    )
    assert (same.rows, same.relationships_created, same.relationships_deleted) == (10, 0, 0)
    again = writer.replace_relationships(
        "LINKED_TO",
        edges(10)[:6],
        start=GENE,
        end=GENE,
        scope={"method": "window", "assembly": "hg38"},
    )
    assert (again.relationships_created, again.relationships_deleted) == (6, 10)
    window_v2 = current(graph)["window"][0]
    assert window_v2 != window_v1 and len(window_v2) == 16
    assert current(graph) == {"abc": (current(graph)["abc"][0], 3), "window": (window_v2, 6)}
    assert linked(graph) == [
        {"m": "abc", "v": current(graph)["abc"][0], "n": 3, "src": ["test.source"]},
        {"m": "window", "v": window_v2, "n": 6, "src": ["test.source"]},
    ]


def test_replace_relationships_refuses_repeated_pairs_and_is_atomic_in_a_transaction(graph):
    writer = BatchWriter(graph, PROV, progress=False)
    writer.merge_nodes("Gene", genes(4))
    writer.replace_relationships(
        "LINKED_TO", edges(4), start=GENE, end=GENE, scope={"method": "w", "assembly": "hg38"}
    )
    before = current(graph)
    twice = [*edges(4), edges(4)[0]]
    with pytest.raises(ValueError, match="repeat a"):
        writer.replace_relationships(
            "LINKED_TO", twice, start=GENE, end=GENE, scope={"method": "w", "assembly": "hg38"}
        )
    with pytest.raises(RuntimeError, match="boom"), writer.transaction():
        writer.replace_relationships(
            "LINKED_TO", edges(2), start=GENE, end=GENE, scope={"method": "w", "assembly": "hg38"}
        )
        raise RuntimeError("boom")
    assert counts(graph) == (5, 4)  # 4 genes and the set's RelationshipSet node
    assert current(graph) == before and before["w"][1] == 4


def test_replace_relationships_counts_rows_whose_endpoints_are_missing(graph):
    writer = BatchWriter(graph, PROV, batch_size=2, progress=False)
    writer.merge_nodes("Gene", genes(3))
    rows = [*edges(3), {"start": "human:NOPE", "end": "human:G0"},
            {"start": "human:G0", "end": "human:NOPE"}]  # fmt: skip
    c = writer.replace_relationships(
        "LINKED_TO", rows, start=GENE, end=GENE, scope={"method": "m", "assembly": "hg38"}
    )
    assert (c.rows, c.relationships_created, c.unmatched) == (5, 3, 2)
    assert linked(graph)[0]["n"] == 3 and current(graph)["m"][1] == 3


def test_replace_relationships_takes_only_versioned_types_and_their_scopes(graph):
    writer = BatchWriter(graph, PROV, progress=False)
    with pytest.raises(ValueError, match="not a versioned relationship type"):
        writer.replace_relationships("ANNOTATED_WITH", [], start=GENE, end=GENE, scope={"x": 1})
    with pytest.raises(ValueError, match=r"named by \('dataset', 'split'\)"):
        writer.replace_relationships("COEXPRESSED", [], start=GENE, end=GENE,
                                     scope={"dataset": "d"})  # fmt: skip


def test_replace_relationships_keys_allow_parallel_relationships(graph):
    writer = BatchWriter(graph, PROV, progress=False)
    writer.merge_nodes("Gene", genes(2))
    rows = [{"start": "human:G0", "end": "human:G1", "perturbation": p, "weight": w}
            for p, w in (("a", 0.5), ("b", 0.7))]  # fmt: skip
    c = writer.replace_relationships(
        "LEARNED_EDGE", rows, start=GENE, end=GENE, scope={"run": "r"}, keys=("perturbation",)
    )
    assert c.relationships_created == 2
    with pytest.raises(ValueError, match=r"repeat a \(start, end, perturbation\)"):
        writer.replace_relationships("LEARNED_EDGE", [*rows, rows[0]], start=GENE, end=GENE,
                                     scope={"run": "r"}, keys=("perturbation",))  # fmt: skip
