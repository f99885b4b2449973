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
        "CREATE INDEX predicted_effect_run IF NOT EXISTS FOR ()-[x:PREDICTED_EFFECT]-() ON (x.run)"
        in ddl
    )


def test_apply_twice_gives_the_same_schema_and_enforces_uniqueness(graph):
    first = apply_schema(graph)
    second = apply_schema(graph)
    assert first == second
    assert {"gene_id_unique", "gene_species_symbol", "predicted_effect_run"} <= set(first)
    graph.write("CREATE (:Gene {id: 'human:A'})")
    try:
        graph.write("CREATE (:Gene {id: 'human:A'})")
    except Exception as err:  # the server's constraint error
        assert "already exists" in str(err)
    else:
        raise AssertionError("duplicate Gene id was accepted")
