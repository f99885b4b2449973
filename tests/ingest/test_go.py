import gzip
import pickle

import pytest

from priorgraph.core.errors import GOFileError
from priorgraph.ingest import go
from priorgraph.ingest.go import go_problems

OBO = """format-version: 1.2
data-version: test/2024-01

[Term]
id: GO:0000001
name: root process
namespace: biological_process

[Term]
id: GO:0000002
name: child process
namespace: biological_process
alt_id: GO:0000012
is_a: GO:0000001 ! root process

[Term]
id: GO:0000003
name: grandchild process
namespace: biological_process
is_a: GO:0000002 ! child process
relationship: part_of GO:0000004 ! other process

[Term]
id: GO:0000004
name: other process
namespace: biological_process
is_a: GO:0000001

[Term]
id: GO:0000005
name: obsolete old process
is_obsolete: true
replaced_by: GO:0000003

[Term]
id: GO:0000006
name: obsolete dead process
is_obsolete: true
consider: GO:0000004

[Typedef]
id: part_of
name: part of
"""


def gaf_line(symbol, term, qualifier="involved_in", evidence="IDA", aspect="P"):
    cols = ["UniProtKB", f"P_{symbol}", symbol, qualifier, term, "PMID:1", evidence, "",
            aspect, "", "", "protein", "taxon:9606", "20240101", "GO_Central", "", ""]  # fmt: skip
    return "\t".join(cols)


@pytest.fixture
def obo(tmp_path):
    path = tmp_path / "tiny.obo"
    path.write_text(OBO)
    return path


def test_read_obo_terms_edges_obsolete_and_alt_ids(obo):
    onto = go.read_obo(obo)
    assert onto.version == "test/2024-01"
    assert set(onto.terms) == {f"GO:000000{i}" for i in range(1, 7)}
    assert onto.terms["GO:0000002"].alt_ids == ["GO:0000012"]
    assert onto.terms["GO:0000005"].obsolete and onto.terms["GO:0000005"].namespace is None
    assert onto.terms["GO:0000005"].replaced_by == "GO:0000003"
    assert onto.terms["GO:0000006"].consider == ["GO:0000004"]
    assert sorted(onto.edges["IS_A"]) == [
        ("GO:0000002", "GO:0000001"),
        ("GO:0000003", "GO:0000002"),
        ("GO:0000004", "GO:0000001"),
    ]
    assert onto.edges["PART_OF"] == [("GO:0000003", "GO:0000004")]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (OBO.replace("name: other process\n", "name: other process\nthis line is broken\n"),
         26, "not 'tag: value'"),
        (OBO.replace("id: GO:0000004", "id: GO:4"), 23, "needs one GO id"),
        (OBO.replace("is_a: GO:0000001 ! root process", "is_a: GO:0000999"), 14,
         "unknown GO id GO:0000999"),
        ("\n\n", 0, "empty file"),
    ],
)  # fmt: skip
def test_bad_obo_names_file_line_and_problem(tmp_path, text, line, message):
    path = tmp_path / "bad.obo"
    path.write_text(text)
    with pytest.raises(GOFileError) as err:
        go.read_obo(path)
    assert str(err.value).startswith(f"{path}:{line}: ")
    assert message in str(err.value)


def test_bad_obo_stanza_skipped_and_reported(tmp_path):
    path = tmp_path / "bad.obo"
    path.write_text(OBO.replace("id: GO:0000004", "id: GO:4"))
    problems = go_problems("skip")
    onto = go.read_obo(path, problems)
    # the bad stanza is gone, and so is the part_of reference to it
    assert "GO:0000004" not in onto.terms and onto.edges["PART_OF"] == []
    assert [(p.line, p.problem[:17]) for p in problems.items] == [
        (23, "malformed stanza:"),
        (21, "reference to unkn"),
    ]


def test_relations_written_as_terms_are_left_out_without_a_problem(tmp_path):
    path = tmp_path / "with_relations.obo"
    relations = "\n[Term]\nid: part_of\nname: part of\n\n[Term]\nid: regulates\nname: r\n"
    path.write_text(OBO + relations + "is_a: part_of ! part of\n")
    onto = go.read_obo(path)  # the default: the first problem would raise
    assert onto.non_go == ["part_of", "regulates"]
    assert "part_of" not in onto.terms and len(onto.terms) == 6
    path.write_text(OBO + "\n[Term]\nid: FOO:123\nname: prefixed, not GO\n")
    with pytest.raises(GOFileError, match="needs one GO id, found \\['FOO:123'\\]"):
        go.read_obo(path)


def test_gaf_reads_columns_excludes_not_and_reads_gzip(tmp_path):
    path = tmp_path / "a.gaf.gz"
    lines = ["!gaf-version: 2.2", gaf_line("KLF1", "GO:0000002"),
             gaf_line("KLF1", "GO:0000003", qualifier="NOT|involved_in"),
             gaf_line("GATA1", "GO:0000004", evidence="IEA", aspect="P")]  # fmt: skip
    with gzip.open(path, "wt") as handle:
        handle.write("\n".join(lines) + "\n")
    parsed = go.read_gaf(path)
    assert parsed.not_excluded == 1
    assert [(a.gene, a.go_id, a.line, a.evidence, a.aspect, a.qualifier) for a in parsed.rows] == [
        ("KLF1", "GO:0000002", 2, "IDA", "P", "involved_in"),
        ("GATA1", "GO:0000004", 4, "IEA", "P", "involved_in"),
    ]


def test_gaf_wrong_column_count_and_empty_file(tmp_path):
    path = tmp_path / "a.gaf"
    path.write_text("!gaf-version: 2.2\n" + gaf_line("KLF1", "GO:0000002") + "\nKLF1\tGO:1\n")
    with pytest.raises(GOFileError, match=r"a\.gaf:3: expected 17 columns, found 2"):
        go.read_gaf(path)
    empty = tmp_path / "empty.gaf"
    empty.write_text("")
    with pytest.raises(GOFileError, match=r"empty\.gaf:0: empty file"):
        go.read_gaf(empty)
    problems = go_problems("skip")
    assert len(go.read_gaf(path, problems).rows) == 1
    assert [str(p) for p in problems.items] == [f"{path}:3: expected 17 columns, found 2"]


def test_gaf_1_is_refused(tmp_path):
    path = tmp_path / "old.gaf"
    path.write_text("!gaf-version: 1.0\n")
    with pytest.raises(GOFileError, match=r"old\.gaf:1: unsupported GAF version '1.0'"):
        go.read_gaf(path)


def test_table_with_header_and_gears_pickle(tmp_path):
    table = tmp_path / "t.tsv"
    table.write_text("gene\tgo_id\nKLF1\tGO:0000002\nGATA1\tGO:0000003\n")
    assert [(a.gene, a.go_id, a.line) for a in go.read_table(table).rows] == [
        ("KLF1", "GO:0000002", 2),
        ("GATA1", "GO:0000003", 3),
    ]
    bad = tmp_path / "bad.tsv"
    bad.write_text("KLF1\tGO:0000002\textra\n")
    with pytest.raises(GOFileError, match=r"bad\.tsv:1: expected 2 columns"):
        go.read_table(bad)
    pkl = tmp_path / "gene2go.pkl"
    pkl.write_bytes(pickle.dumps({"KLF1": {"GO:0000003", "GO:0000002"}, "GATA1": set()}))
    assert [(a.gene, a.go_id, a.line) for a in go.read_gears_pickle(pkl).rows] == [
        ("KLF1", "GO:0000002", 1),
        ("KLF1", "GO:0000003", 1),
    ]
    pkl.write_bytes(pickle.dumps({"KLF1": {"GO:12"}}))
    with pytest.raises(GOFileError, match=r"gene2go\.pkl:1: bad gene symbol or GO id"):
        go.read_gears_pickle(pkl)


def test_resolve_applies_replacements_and_reports_unknown_and_obsolete(obo, tmp_path):
    index = go.TermIndex.from_ontology(go.read_obo(obo))
    table = tmp_path / "t.tsv"
    table.write_text(
        "KLF1\tGO:0000005\nKLF1\tGO:0000012\nKLF1\tGO:0000006\nKLF1\tGO:0009999\nKLF1\tGO:0000004\n"
    )
    parsed = go.read_table(table)
    with pytest.raises(GOFileError, match=r"t\.tsv:3: annotation of KLF1 to obsolete term "
                       r"GO:0000006 without replaced_by \(consider: GO:0000004\)"):  # fmt: skip
        go.resolve(parsed, index, go_problems(), go.GOIngestReport())
    problems, report = go_problems("skip"), go.GOIngestReport()
    kept = go.resolve(parsed, index, problems, report)
    assert [(a.go_id, a.line) for a in kept] == [
        ("GO:0000003", 1),
        ("GO:0000002", 2),
        ("GO:0000004", 5),
    ]
    assert [(r["from"], r["to"], r["via"]) for r in report.remapped] == [
        ("GO:0000005", "GO:0000003", "replaced_by"),
        ("GO:0000012", "GO:0000002", "alt_id"),
    ]
    assert [p.line for p in problems.items] == [3, 4]
    assert "unknown GO id GO:0009999" in problems.items[1].problem


def test_annotation_rows_merge_lines_and_propagate(obo):
    onto = go.read_obo(obo)
    anns = [
        go.Annotation("KLF1", "GO:0000003", 1, "IDA", "P", "involved_in"),
        go.Annotation("KLF1", "GO:0000003", 2, "IEA", "P", "involved_in"),
    ]
    genes, rows = go.annotation_rows(anns, "human", "go.gaf", onto.parents())
    assert genes == [{"id": "human:KLF1", "symbol": "KLF1", "species": "human"}]
    assert rows[0] == {"start": "human:KLF1", "end": "GO:0000003", "source": "go.gaf",
                       "evidence": ["IDA", "IEA"], "qualifier": ["involved_in"], "aspect": "P",
                       "inferred": False}  # fmt: skip
    # true path: is_a up to GO:0000002 and GO:0000001, part_of to GO:0000004
    assert [(r["end"], r["inferred"]) for r in rows[1:]] == [
        ("GO:0000001", True),
        ("GO:0000002", True),
        ("GO:0000004", True),
    ]


# ------------------------------------------------------------------ with Neo4j


def counts(graph):
    rows = graph.read(
        "MATCH (n) WITH labels(n)[0] AS l, count(*) AS c RETURN l, c ORDER BY l "
        "UNION ALL MATCH ()-[r]->() WITH type(r) AS l, count(*) AS c RETURN l, c ORDER BY l"
    )
    return {r["l"]: r["c"] for r in rows}


def test_ingest_writes_graph_with_provenance_and_is_idempotent(graph, obo, tmp_path):
    gaf = tmp_path / "a.gaf"
    gaf.write_text("\n".join(["!gaf-version: 2.2", gaf_line("KLF1", "GO:0000003"),
                              gaf_line("KLF1", "GO:0000005", qualifier="NOT|involved_in"),
                              gaf_line("GATA1", "GO:0000005")]) + "\n")  # fmt: skip
    report = go.ingest_go(graph, obo=obo, annotations=gaf, source="go.gaf.test", version="v1",
                          progress=False)  # fmt: skip
    assert (report.terms, report.genes, report.annotations, report.not_excluded) == (6, 2, 2, 1)
    assert report.remapped[0]["to"] == "GO:0000003"
    expected = {"GOTerm": 6, "Gene": 2, "Source": 2, "IS_A": 3, "PART_OF": 1, "ANNOTATED_WITH": 2}
    assert counts(graph) == expected
    rows = graph.read(
        "MATCH (g:Gene)-[a:ANNOTATED_WITH]->(t:GOTerm) RETURN g.id AS g, t.id AS t, "
        "a.source AS s, a.source_version AS v, a.evidence AS e ORDER BY g"
    )
    assert rows == [
        {"g": "human:GATA1", "t": "GO:0000003", "s": "go.gaf.test", "v": "v1", "e": ["IDA"]},
        {"g": "human:KLF1", "t": "GO:0000003", "s": "go.gaf.test", "v": "v1", "e": ["IDA"]},
    ]
    term = graph.read("MATCH (t:GOTerm {id:'GO:0000003'})-[r:PART_OF]->() "
                      "RETURN t.source AS s, t.source_version AS v, r.source AS rs")  # fmt: skip
    assert term == [{"s": "go.obo", "v": "test/2024-01", "rs": "go.obo"}]
    again = go.ingest_go(graph, obo=obo, annotations=gaf, source="go.gaf.test", version="v1",
                         progress=False)  # fmt: skip
    assert sum(w["nodes_created"] + w["relationships_created"] for w in again.writes.values()) == 0
    assert counts(graph) == expected


def test_annotations_checked_against_terms_in_graph_and_propagated(graph, obo, tmp_path):
    go.ingest_go(graph, obo=obo, progress=False)
    table = tmp_path / "t.tsv"
    table.write_text("KLF1\tGO:0000003\n")
    report = go.ingest_go(graph, annotations=table, kind="table", propagate=True, progress=False)
    assert (report.annotations, report.inferred) == (1, 3)
    rows = graph.read("MATCH (:Gene)-[a:ANNOTATED_WITH]->(t) RETURN t.id AS t, a.inferred AS i "
                      "ORDER BY t")  # fmt: skip
    assert [(r["t"], r["i"]) for r in rows] == [
        ("GO:0000001", True), ("GO:0000002", True), ("GO:0000003", False), ("GO:0000004", True),
    ]  # fmt: skip


def test_every_long_step_of_the_ingest_shows_progress(graph, obo, tmp_path, monkeypatch):
    steps = []
    real = go.progress_step

    def recorded(desc, *, enabled=True, **kwargs):
        steps.append((desc, enabled))
        return real(desc, enabled=enabled, **kwargs)

    monkeypatch.setattr(go, "progress_step", recorded)
    table = tmp_path / "t.tsv"
    table.write_text("KLF1\tGO:0000003\n")
    go.ingest_go(graph, obo=obo, annotations=table, kind="table", propagate=True)
    assert steps == [
        (f"GO ontology: parsing {obo.name}", True),
        ("GO annotations: reading t.tsv", True),
        ("GO annotations: checking terms, propagating to ancestors", True),
    ]
    go.ingest_go(graph, obo=obo, progress=False)
    assert steps[-1] == (f"GO ontology: parsing {obo.name}", False)


def test_failed_ingest_leaves_graph_as_it_was(graph, obo, tmp_path, monkeypatch):
    table = tmp_path / "t.tsv"
    table.write_text("KLF1\tGO:0000003\n")
    go.ingest_go(graph, obo=obo, annotations=table, kind="table", progress=False)
    before = counts(graph)
    bad = tmp_path / "bad.tsv"
    bad.write_text("GATA1\tGO:0000002\nGATA1\tGO:0000999\n")
    with pytest.raises(GOFileError, match=r"bad\.tsv:2: unknown GO id GO:0000999"):
        go.ingest_go(graph, obo=obo, annotations=bad, kind="table", progress=False)
    assert counts(graph) == before
    # a failure inside the write transaction (after every merge) rolls all of it back

    def fail(*args, **kwargs):
        raise RuntimeError("server went away")

    monkeypatch.setattr(go.BatchWriter, "record_source", fail)
    with pytest.raises(RuntimeError, match="server went away"):
        go.ingest_go(graph, obo=obo, annotations=bad, kind="table", on_error="skip",
                     source="other", progress=False)  # fmt: skip
    assert counts(graph) == before


@pytest.mark.slow
def test_real_go_release_and_human_table_for_a_gene_panel(graph, shared_data, monkeypatch):
    """The 2024-02 go-basic OBO and the real human gene→GO table (from the mirror through the
    source registry), for a small gene panel."""
    from priorgraph.ingest.go import ingest_panel

    monkeypatch.setenv("PRIORGRAPH_DATA_DIR", str(shared_data))
    panel = {"TP53", "KLF1", "GATA1", "CEBPA", "SPI1"}
    with open(shared_data / "go" / "human_gene2go_2024-02-20.tsv") as handle:
        lines = [line for line in handle if line.split("\t", 1)[0] in panel]
    report = ingest_panel(graph, [*sorted(panel), "NOT_A_GENE"])
    # the derived OBO writes 6 relations as [Term] stanzas: no GO terms, no problems, listed
    assert report.problems == [] and len(report.non_go_terms) == 6
    assert {"part_of", "regulates"} <= set(report.non_go_terms)
    assert report.terms > 42_000
    assert (report.genes, report.annotations) == (5, len(lines)) and len(lines) == 285
    assert graph.read(
        "MATCH (:Gene {id: 'human:TP53'})-[a:ANNOTATED_WITH]->() "
        "RETURN DISTINCT a.source AS source, a.source_version AS version"
    ) == [{"source": "go.gene2go.human", "version": "2024-02-20"}]
    rows = graph.read(
        "MATCH (:Gene {id: 'human:TP53'})-[:ANNOTATED_WITH]->(t:GOTerm {id: 'GO:0042771'}) "
        "MATCH p = (t)-[:IS_A*]->(root:GOTerm {id: 'GO:0008150'}) "
        "RETURN t.namespace AS ns, min(length(p)) AS hops"
    )
    assert rows[0]["ns"] == "biological_process" and rows[0]["hops"] >= 3


def test_gene_names_are_resolved_and_unknown_ones_named(graph, obo, tmp_path):
    """Old symbols and Ensembl ids meet the approved gene; an unknown name is an error naming
    its line, or (warn) its annotations are left out; the report lists both."""
    from priorgraph.ingest.gene_resolution import GeneReference, GeneResolver

    reference = GeneReference("human", previous={"MARCH8": ("MARCHF8", None)})
    reference.add_genes([("MARCHF8", None), ("DARS1", "ENSG00000115866")], "test")
    genes = GeneResolver(reference)
    table = tmp_path / "t.tsv"
    table.write_text(
        "MARCH8\tGO:0000003\nENSG00000115866\tGO:0000003\nNOTAGENE7\tGO:0000004\n"
        "MARCHF8\tGO:0000004\n"
    )
    with pytest.raises(GOFileError, match=r"t.tsv:3: 1 gene name\(s\) of human not found"):
        go.ingest_go(graph, obo=obo, annotations=table, kind="table", genes=genes,
                     unknown_genes="error", progress=False)  # fmt: skip
    report = go.ingest_go(graph, obo=obo, annotations=table, kind="table", genes=genes,
                          progress=False)  # fmt: skip
    assert report.gene_names == {
        "renamed": {"MARCH8": "MARCHF8", "ENSG00000115866": "DARS1"},
        "unknown": ["NOTAGENE7"], "ambiguous": {},
    }  # fmt: skip
    rows = graph.read("MATCH (g:Gene)-[:ANNOTATED_WITH]->(t) RETURN g.id AS g, t.id AS t "
                      "ORDER BY g, t")  # fmt: skip
    assert [(r["g"], r["t"]) for r in rows] == [
        ("human:DARS1", "GO:0000003"), ("human:MARCHF8", "GO:0000003"),
        ("human:MARCHF8", "GO:0000004"),
    ]  # fmt: skip
