import re
import threading

import pytest

from priorgraph.kg import cypher, versions
from priorgraph.kg.writer import BatchWriter, Provenance
from priorgraph.queries.overview import graph_stats

PROV = Provenance("test.source", "v1")
GENE = ("Gene", "id")
SCOPE = {"dataset": "d", "split": "s"}


def genes(n: int) -> list[dict]:
    return [{"id": f"human:G{i}", "symbol": f"G{i}", "species": "human"} for i in range(n)]


def edges(n: int, rho: float) -> list[dict]:
    return [{"start": f"human:G{i}", "end": f"human:G{(i + 1) % n}", "rho": rho, "rank": 1}
            for i in range(n)]  # fmt: skip


def seen(graph) -> list[float]:
    """What a reader sees: the rho of the split's co-expression edges (named query)."""
    return sorted(r["rho"] for r in cypher.run(graph, "coexpression_edges", **SCOPE))


def stored(graph) -> int:
    return graph.read("MATCH ()-[r:COEXPRESSED]->() RETURN count(r) AS n")[0]["n"]


def markers(graph) -> dict:
    """What the split's set node says a load left unfinished."""
    rows = graph.read("MATCH (s:RelationshipSet {type: 'COEXPRESSED'}) "
                      "RETURN s.pending AS pending, s.retiring AS retiring")  # fmt: skip
    return rows[0] if rows else {}


def stats_count(graph, rel_type: str) -> int:
    return sum(r["count"] for r in graph_stats(graph) if r["name"] == rel_type)


# --- unit: no server ------------------------------------------------------------------------


def test_set_id_names_a_versioned_type_and_its_scope():
    assert (versions.set_id("LINKED_TO", {"method": "abc", "assembly": "hg38"})
            == 'LINKED_TO{"assembly":"hg38","method":"abc"}')  # fmt: skip
    assert versions.set_id("COEXPRESSED", {"split": "s", "dataset": "d"}) == (
        'COEXPRESSED{"dataset":"d","split":"s"}'
    )
    with pytest.raises(ValueError, match="not a versioned"):
        versions.set_id("IS_A", {})
    with pytest.raises(ValueError, match="named by"):
        versions.set_id("PREDICTED_EFFECT", {"run": None})


def test_content_key_is_the_same_for_the_same_content_only():
    a = versions.ContentKey("set", [{"start": "a", "end": "b", "w": 0.5}]).hexdigest()
    assert a == versions.ContentKey("set", [{"start": "a", "end": "b", "w": 0.5}]).hexdigest()
    assert a != versions.ContentKey("set", [{"start": "a", "end": "b", "w": 0.25}]).hexdigest()
    assert len(a) == 16 and int(a, 16) >= 0


def test_every_read_query_of_a_versioned_type_keeps_current_versions_only():
    """A reader that forgot the filter would see a set being written or retired; one that
    compared with the pointer's property row by row (``r.version = v.version``) could see the
    switch half-way through its scan: the current versions must be read into a value first."""
    pattern = re.compile(r"\[\w*:(" + "|".join(versions.SET_SCOPES) + r")\b")
    readers = [n for n in cypher.names(mode="read") if pattern.search(cypher.code(cypher.load(n)))]
    assert {"coexpression_edges", "effects_gene", "go_graph_edges", "peaks_guidance_edges",
            "learned_edges_perturbation"} <= set(readers)  # fmt: skip
    for name in readers:
        code = cypher.code(cypher.load(name))
        for var, rel_type in re.findall(r"\[(\w+):(\w+)", code):
            if rel_type in versions.SET_SCOPES:
                assert re.search(rf"\b{var}\.version (=|IN) \$?\w+\b(?!\.)", code), (name, var)


# --- integration: real Neo4j ----------------------------------------------------------------


@pytest.fixture
def split_graph(graph):
    writer = BatchWriter(graph, PROV, progress=False)
    writer.merge_nodes("Gene", genes(6))
    writer.replace_relationships("COEXPRESSED", edges(6, 0.1), start=GENE, end=GENE, scope=SCOPE)
    assert seen(graph) == [0.1] * 6
    return graph


def test_a_crash_before_the_switch_leaves_the_old_set_and_a_rerun_completes(split_graph):
    graph = split_graph
    writer = BatchWriter(graph, PROV, progress=False)
    writer.replace_relationships(
        "COEXPRESSED", edges(5, 0.9), start=GENE, end=GENE, scope=SCOPE, defer=True
    )  # written, never switched: the client died here
    assert stored(graph) == 11
    assert seen(graph) == [0.1] * 6 and stats_count(graph, "COEXPRESSED") == 6
    again = BatchWriter(graph, PROV, progress=False).replace_relationships(
        "COEXPRESSED", edges(5, 0.9), start=GENE, end=GENE, scope=SCOPE
    )
    assert (again.relationships_created, again.relationships_deleted) == (5, 5 + 6)
    assert seen(graph) == [0.9] * 5 and stored(graph) == 5
    assert stats_count(graph, "COEXPRESSED") == 5
    assert markers(graph) == {"pending": None, "retiring": None}


def test_a_crash_after_the_switch_shows_the_new_set_and_a_rerun_cleans_up(split_graph):
    graph = split_graph
    writer = BatchWriter(graph, PROV, progress=False)
    writer.replace_relationships(
        "COEXPRESSED", edges(5, 0.9), start=GENE, end=GENE, scope=SCOPE, defer=True
    )
    assert markers(graph)["pending"] == writer.written[0].version
    versions.publish(graph, writer.written)  # switched; the old version was never deleted
    assert markers(graph)["pending"] is None and markers(graph)["retiring"] is not None
    assert seen(graph) == [0.9] * 5 and stored(graph) == 11
    assert stats_count(graph, "COEXPRESSED") == 5
    again = BatchWriter(graph, PROV, progress=False).replace_relationships(
        "COEXPRESSED", edges(5, 0.9), start=GENE, end=GENE, scope=SCOPE
    )
    assert (again.relationships_created, again.relationships_deleted) == (0, 6)
    assert seen(graph) == [0.9] * 5 and stored(graph) == 5
    assert markers(graph) == {"pending": None, "retiring": None}


def test_a_set_switched_inside_a_transaction_follows_its_commit(split_graph):
    graph = split_graph
    writer = BatchWriter(graph, PROV, progress=False)
    with writer.transaction():
        writer.replace_relationships("COEXPRESSED", edges(4, 0.5), start=GENE, end=GENE,
                                     scope=SCOPE)  # fmt: skip
        assert seen(graph) == [0.1] * 6  # not switched before the commit
    assert seen(graph) == [0.5] * 4 and stored(graph) == 4


def test_retire_waits_for_readers_older_than_the_switch(split_graph):
    graph = split_graph
    with graph.driver.session(database=graph.database) as session:
        reader = session.begin_transaction()
        assert [r["rho"] for r in reader.run(cypher.load("coexpression_edges"), SCOPE)] == [0.1] * 6
        switched = versions.server_time(graph)
        assert versions.wait_for_readers(graph, switched, timeout=0.2) is False
        reader.close()
    assert versions.wait_for_readers(graph, switched, timeout=30) is True


def test_a_retire_waits_for_an_open_reader_whose_queries_each_see_one_whole_set(split_graph):
    """The old version is deleted only once a reader that began before the switch has ended;
    each of its queries sees one complete set (the one current when the query began)."""
    graph = split_graph
    with graph.driver.session(database=graph.database) as session:
        reader = session.begin_transaction()
        first = [r["rho"] for r in reader.run(cypher.load("coexpression_edges"), SCOPE)]
        done = threading.Event()

        def replace() -> None:
            BatchWriter(graph, PROV, progress=False).replace_relationships(
                "COEXPRESSED", edges(5, 0.9), start=GENE, end=GENE, scope=SCOPE
            )
            done.set()

        worker = threading.Thread(target=replace)
        worker.start()
        while seen(graph) != [0.9] * 5:  # switched: new readers see the new set
            assert worker.is_alive()
        assert not done.wait(0.5)  # the retire waits for the open reader
        again = [r["rho"] for r in reader.run(cypher.load("coexpression_edges"), SCOPE)]
        assert (first, again) == ([0.1] * 6, [0.9] * 5)
        assert stored(graph) == 11 and not done.is_set()
        reader.close()
        worker.join(60)
    assert done.is_set() and stored(graph) == 5


def test_schema_apply_adopts_sets_written_before_versions(graph):
    writer = BatchWriter(graph, PROV, progress=False)
    writer.merge_nodes("Gene", genes(6))
    rows = [{**e, **SCOPE} for e in edges(6, 0.1)]
    writer.merge_relationships("COEXPRESSED", rows, start=GENE, end=GENE)  # the old way
    graph.write("MATCH (a:Gene {id: 'human:G0'}), (b:Gene {id: 'human:G1'}) "
                "CREATE (a)-[:GO_SIMILAR {graph: 'g', build: 'b1', jaccard: 0.5, rank: 1}]->(b) "
                "CREATE (:GOGraph {id: 'g', build: 'b1'})")  # fmt: skip
    go = {"go_graph": "g", "genes": ["human:G0", "human:G1"], "max_rank": 5}
    assert seen(graph) == [] and cypher.run(graph, "go_graph_edges", **go) == []
    assert versions.adopt_unversioned(graph) == {"COEXPRESSED": 6, "GO_SIMILAR": 1}
    assert seen(graph) == [0.1] * 6 and stats_count(graph, "COEXPRESSED") == 6
    assert [r["jaccard"] for r in cypher.run(graph, "go_graph_edges", **go)] == [0.5]
    assert versions.adopt_unversioned(graph) == {}
    again = writer.replace_relationships(
        "COEXPRESSED", edges(3, 0.2), start=GENE, end=GENE, scope=SCOPE
    )
    assert (again.relationships_created, again.relationships_deleted) == (3, 6)


def test_forget_removes_a_whole_set(split_graph):
    graph = split_graph
    assert versions.forget(graph, "COEXPRESSED", SCOPE) == 6
    assert seen(graph) == [] and stored(graph) == 0
    assert versions.current_version(graph, "COEXPRESSED", SCOPE) is None


# --- reliability under load: a reader during loads, a client killed mid-load ---------------

N_GENES = 400


def many_edges(n: int, rho: float, offset: int) -> list[dict]:
    """``n`` distinct gene pairs (a deterministic pattern), all with the same ``rho``."""
    pairs = ((i % N_GENES, (i // N_GENES + offset + i) % N_GENES) for i in range(n * 2))
    unique = list(dict.fromkeys(p for p in pairs if p[0] != p[1]))[:n]
    assert len(unique) == n
    return [{"start": f"human:G{a}", "end": f"human:G{b}", "rho": rho, "rank": 1}
            for a, b in unique]  # fmt: skip


@pytest.mark.slow
def test_a_reader_polling_during_a_load_and_a_replace_never_sees_a_mixed_state(graph):
    """A reader polls the stats and the co-expression export while a large all-or-nothing
    load commits and a replace switches: every answer is a whole set (none, the first or the
    second), and within one answer every edge has the same version."""
    BatchWriter(graph, PROV, progress=False).merge_nodes("Gene", genes(N_GENES))
    first, second = many_edges(30_000, 0.25, 1), many_edges(24_000, 0.75, 7)
    whole = {(0, ()), (30_000, (0.25,)), (24_000, (0.75,))}
    answers: list[tuple[str, int, tuple[float, ...]]] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            rows = cypher.run(graph, "coexpression_edges", **SCOPE)
            answers.append(("export", len(rows), tuple(sorted({r["rho"] for r in rows}))))
            n = stats_count(graph, "COEXPRESSED")
            answers.append(("stats", n, {0: (), 30_000: (0.25,), 24_000: (0.75,)}.get(n, ("?",))))

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        writer = BatchWriter(graph, PROV, batch_size=5_000, progress=False)
        with writer.transaction():  # all-or-nothing: one transaction, then the switch
            writer.replace_relationships("COEXPRESSED", first, start=GENE, end=GENE, scope=SCOPE)
        writer.replace_relationships("COEXPRESSED", second, start=GENE, end=GENE, scope=SCOPE)
    finally:
        stop.set()
        reader.join()
    assert len(answers) >= 6  # the reader ran throughout
    mixed = [a for a in answers if (a[1], a[2]) not in whole]
    assert mixed == []
    assert ("export", 24_000, (0.75,)) in answers and stored(graph) == 24_000


LOAD = """
import sys
from priorgraph.core.config import Neo4jSettings
from priorgraph.kg.connection import Graph
from priorgraph.kg.writer import BatchWriter, Provenance
uri, user, password, rows = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
edges = [{"start": f"human:G{i % 400}", "end": f"human:G{(i // 400 + 3 + i) % 400}",
          "rho": 0.75, "rank": 1} for i in range(rows)]
edges = list({(e["start"], e["end"]): e for e in edges if e["start"] != e["end"]}.values())
with Graph(Neo4jSettings(uri, user, password, "neo4j", local=False)) as graph:
    BatchWriter(graph, Provenance("test.source", "v1"), batch_size=500, progress=False)\\
        .replace_relationships("COEXPRESSED", edges, start=("Gene", "id"), end=("Gene", "id"),
                               scope={"dataset": "d", "split": "s"})
"""


@pytest.mark.slow
def test_a_client_killed_mid_load_leaves_a_whole_set_and_a_rerun_completes_it(
    graph, neo4j_settings, tmp_path
):
    import signal
    import subprocess
    import sys

    BatchWriter(graph, PROV, progress=False).merge_nodes("Gene", genes(N_GENES))
    old = many_edges(8_000, 0.25, 1)
    BatchWriter(graph, PROV, progress=False).replace_relationships(
        "COEXPRESSED", old, start=GENE, end=GENE, scope=SCOPE
    )
    script = tmp_path / "load.py"
    script.write_text(LOAD)
    s = neo4j_settings
    load = subprocess.Popen([sys.executable, str(script), s.uri, s.user, s.password, "40000"])
    try:
        while stored(graph) < 8_000 + 2_000:  # the new version is being written
            assert load.poll() is None, "the load ended before it could be killed"
        load.send_signal(signal.SIGKILL)
        load.wait(30)
    finally:
        if load.poll() is None:
            load.kill()
    assert stored(graph) > 8_000  # it died with part of the new version written
    visible = seen(graph)
    assert (len(visible), set(visible)) == (8_000, {0.25})  # the old set, whole
    assert stats_count(graph, "COEXPRESSED") == 8_000
    # the same load again, in this process: the new set, whole, and nothing left over
    edges = [{"start": f"human:G{i % 400}", "end": f"human:G{(i // 400 + 3 + i) % 400}",
              "rho": 0.75, "rank": 1} for i in range(40_000)]  # fmt: skip
    edges = list({(e["start"], e["end"]): e for e in edges if e["start"] != e["end"]}.values())
    BatchWriter(graph, PROV, progress=False).replace_relationships(
        "COEXPRESSED", edges, start=GENE, end=GENE, scope=SCOPE
    )
    assert seen(graph) == [0.75] * len(edges) and stored(graph) == len(edges)
