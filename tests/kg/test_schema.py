from priorgraph.kg.schema import INDEXES, UNIQUE_KEYS, apply_schema, statements


def test_statements_are_named_and_idempotent():
    ddl = statements()
    assert len(ddl) == len(UNIQUE_KEYS) + len(INDEXES)
    assert all(" IF NOT EXISTS " in s for s in ddl)
    assert (
        ddl[0]
        == "CREATE CONSTRAINT gene_id_unique IF NOT EXISTS FOR (n:Gene) REQUIRE n.id IS UNIQUE"
    )
    assert (
        "CREATE INDEX gene_species_symbol IF NOT EXISTS FOR (x:Gene) ON (x.species, x.symbol)"
        in ddl
    )


def test_apply_twice_gives_the_same_schema_and_enforces_uniqueness(graph):
    first = apply_schema(graph)
    second = apply_schema(graph)
    assert first == second
    assert {"gene_id_unique", "gene_species_symbol", "perturbation_dataset"} <= set(first)
    graph.write("CREATE (:Gene {id: 'human:A'})")
    try:
        graph.write("CREATE (:Gene {id: 'human:A'})")
    except Exception as err:  # the server's constraint error
        assert "already exists" in str(err)
    else:
        raise AssertionError("duplicate Gene id was accepted")


def test_retired_relationship_indexes_are_dropped(graph):
    graph.write(
        "CREATE INDEX predicted_effect_run IF NOT EXISTS FOR ()-[r:PREDICTED_EFFECT]-() ON (r.run)"
    )
    assert "predicted_effect_run" not in apply_schema(graph)


def test_keyed_relationship_merge_expands_between_endpoints(graph):
    """The MERGE of the batched writer must not seek a relationship index (quadratic loads)."""
    from priorgraph.kg.writer import relationship_merge_query

    apply_schema(graph)
    query = relationship_merge_query("PREDICTED_EFFECT", ("Gene", "id"), ("Gene", "id"), ("run",))
    with graph.driver.session(database=graph.database) as session:
        plan = session.run("EXPLAIN " + query, {"rows": [], "source": "", "source_version": ""})
        operators = str(plan.consume().plan)
    assert "RelationshipIndexSeek" not in operators
    assert "Expand(Into)" in operators or "ExpandInto" in operators
