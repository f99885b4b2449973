import re

from priorgraph.kg.schema import (
    INDEXES,
    UNIQUE_KEYS,
    UNIQUE_TOGETHER,
    Index,
    apply_schema,
    statements,
)

CONSTRAINT = re.compile(
    r"^CREATE CONSTRAINT (\w+) IF NOT EXISTS FOR \(n:(\w+)\) REQUIRE n\.(\w+) IS UNIQUE$"
)
INDEX = re.compile(r"^CREATE INDEX (\w+) IF NOT EXISTS FOR \(x:(\w+)\) ON \(([\w., ]+)\)$")
TOGETHER = re.compile(
    r"^CREATE CONSTRAINT (\w+) IF NOT EXISTS FOR \(n:(\w+)\) REQUIRE \(([\w., ]+)\) IS UNIQUE$"
)


def test_statements_name_every_row_of_the_schema_table_once():
    """One named, create-if-missing statement per unique key and per index, constraints first
    (their own index must exist before a range index on the same label), and nothing else."""
    constraints, together, indexes = [], {}, []
    for statement in statements():
        if m := CONSTRAINT.match(statement):
            assert not indexes, f"constraint after an index: {statement}"
            constraints.append((m[1], m[2], m[3]))
        elif m := TOGETHER.match(statement):
            assert not indexes, f"constraint after an index: {statement}"
            props = tuple(p.strip().removeprefix("n.") for p in m[3].split(","))
            together[m[1]] = (m[2], props)
        elif m := INDEX.match(statement):
            props = tuple(p.strip().removeprefix("x.") for p in m[3].split(","))
            indexes.append(Index(m[1], m[2], props))
        else:
            raise AssertionError(f"not a named IF NOT EXISTS statement: {statement}")
    assert [(label, key) for _, label, key in constraints] == list(UNIQUE_KEYS.items())
    assert (
        together
        == UNIQUE_TOGETHER
        == {"gene_species_ensembl_unique": ("Gene", ("species", "ensembl"))}
    )
    assert indexes == list(INDEXES)
    names = [name for name, *_ in constraints] + list(together) + [i.name for i in indexes]
    assert len(set(names)) == len(names)
    assert "gene_id_unique" in names and "gene_species_symbol" in names


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


def test_each_test_starts_with_exactly_the_schema(graph, schema_names, clean_graph):
    """What a test creates (a vector index, a constraint) or drops is undone before the next."""
    graph.write(
        "CREATE VECTOR INDEX gene_genept IF NOT EXISTS FOR (g:Gene) ON g.genept "
        "OPTIONS {indexConfig: {`vector.dimensions`: 3, `vector.similarity_function`: 'cosine'}}"
    )
    graph.write("CREATE CONSTRAINT extra_unique IF NOT EXISTS FOR (n:Extra) REQUIRE n.id IS UNIQUE")
    graph.write("DROP INDEX gene_species_symbol")
    clean_graph(graph)
    names = {r["name"] for r in graph.read("SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP'")}
    names |= {r["name"] for r in graph.read("SHOW CONSTRAINTS YIELD name")}
    assert names == set(schema_names)
