import html
import re

from priorgraph.kg import browser_guide, cypher
from priorgraph.kg.browser_guide import SLIDES, cypher_literal, render, write_guide

STAT1_PERTURBATION = "papalexi2021/JAK2+ctrl"  # the perturbation of the stat1_graph fixture


def test_every_block_is_a_read_query_with_a_value_for_each_parameter():
    names = [block.query for slide in SLIDES for block in slide.blocks]
    assert len(names) == len(set(names))
    for slide in SLIDES:
        for block in slide.blocks:
            query = cypher.get(block.query)
            assert query.mode == "read", block.query
            assert set(block.params) == set(query.parameters), block.query
    titles = [slide.title for slide in SLIDES]
    assert titles == [
        "What is in the graph",
        "A gene's GO neighbourhood",
        "The peaks of a gene",
        "Conserved peaks",
        "Predicted effects on a gene",
        "Learned edges",
    ]


def test_the_guide_holds_the_named_queries_as_runnable_blocks():
    page = render()
    assert page.count("<slide>") == len(SLIDES) and "<carousel>" in page
    blocks = [html.unescape(b) for b in re.findall(r'<pre class="runnable">(.*?)</pre>', page,
                                                   re.DOTALL)]  # fmt: skip
    body = browser_guide.query_body("go_neighbours")
    assert body in blocks and not body.startswith("//")
    at = blocks.index(body)
    assert blocks[at - 1] == ":param {gene: 'human:STAT1', go_graph: 'demo_go'}"
    assert html.escape(cypher.get("go_neighbours").description) in page
    assert "<p>" + SLIDES[0].intro in page


def test_values_become_cypher_literals():
    assert cypher_literal({"a": "it's", "b": None, "c": [1, 2.5, True], "d": "x\\y"}) == (
        "{a: 'it\\'s', b: null, c: [1, 2.5, true], d: 'x\\\\y'}"
    )


def test_the_guide_is_written_private(tmp_path):
    path = write_guide(tmp_path / "guides")
    assert path.read_text() == render()
    assert path.stat().st_mode & 0o777 == 0o600


def test_every_block_runs_read_only_on_a_priorgraph_graph(stat1_graph):
    rows = {block.query: stat1_graph.read(cypher.load(block.query), block.params)
            for slide in SLIDES for block in slide.blocks}  # fmt: skip
    assert rows["go_neighbours"] == [{"neighbour": "human:STAT2", "rank": 1, "jaccard": 0.5,
                                      "shared_terms": ["type I interferon-mediated signaling "
                                                       "pathway"]}]  # fmt: skip
    assert [r["peak"] for r in rows["peaks_conserved_for_gene"]] == ["hg38:chr2:100-600"]
    assert [(r["perturbation"], r["predicted"]) for r in rows["effects_gene"]] == [
        ("JAK2+ctrl", -1.5)
    ]
    assert [(r["source"], r["target"]) for r in rows["learned_edges_perturbation"]] == [
        ("JAK2", "STAT1")
    ]


def drawn(graph, name: str, params: dict) -> tuple[set[str], set[tuple[str, str, str]]]:
    """What Neo4j Browser draws for a view: node ids (names for GO terms) and relationships."""
    with graph.driver.session(database=graph.database) as session:
        found = session.run(cypher.load(name), params).graph()
    label = {n.element_id: n.get("id") for n in found.nodes}
    rels = {(label[r.start_node.element_id], r.type, label[r.end_node.element_id])
            for r in found.relationships}  # fmt: skip
    return set(label.values()), rels


def test_the_browser_views_draw_the_neighbourhoods(stat1_graph):
    params = {block.query: block.params for slide in SLIDES for block in slide.blocks}
    nodes, rels = drawn(stat1_graph, "browser_gene_go", params["browser_gene_go"])
    assert nodes == {"human:STAT1", "human:STAT2", "GO:0060337"}  # not the inferred root term
    assert rels == {
        ("human:STAT1", "ANNOTATED_WITH", "GO:0060337"),
        ("human:STAT2", "GO_SIMILAR", "human:STAT1"),  # not JAK2's edge of a stale build
    }
    nodes, rels = drawn(stat1_graph, "browser_gene_peaks", {"gene": "human:STAT1", "limit": 1})
    assert rels == {("hg38:chr2:100-600", "LINKED_TO", "human:STAT1"),
                    ("hg38:chr2:100-600", "LIFTS_TO", "hg19:chr2:90-590")}  # fmt: skip
    _, rels = drawn(stat1_graph, "browser_gene_effects", params["browser_gene_effects"])
    assert rels == {(STAT1_PERTURBATION, "PREDICTED_EFFECT", "human:STAT1")}
    _, rels = drawn(stat1_graph, "browser_learned_edges", params["browser_learned_edges"])
    assert rels == {("human:JAK2", "LEARNED_EDGE", "human:STAT1")}
    schema = stat1_graph.read(cypher.load("browser_schema"))
    assert len(schema) == 1 and len(schema[0]["nodes"]) >= 6
