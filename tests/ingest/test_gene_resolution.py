"""Gene-name resolution: approved → Ensembl id → previous symbol → HGNC alias → unknown, on tiny
hand-made tables (and the real ones when the mirror is there)."""

import logging
from pathlib import Path

import pytest

from priorgraph.core.errors import GeneFileError, GeneListError, UsageError
from priorgraph.ingest.gene_resolution import (
    GeneReference,
    GeneResolver,
    ReferenceTables,
    ensembl_gene_id,
)

GENE_TABLE = (
    "ensgene\tentrez\tsymbol\tchr\tstart\tend\tstrand\tbiotype\tdescription\n"
    "ENSG00000165406\t\tMARCHF8\t10\t1\t2\t-1\tprotein_coding\t\n"
    "ENSG00000168385\t\tSEPTIN2\t2\t1\t2\t1\tprotein_coding\t\n"
    "ENSG00000125354\t\tSEPTIN6\tX\t1\t2\t-1\tprotein_coding\t\n"
    "ENSG00000115866\t\tDARS1\t2\t1\t2\t-1\tprotein_coding\t\n"
    "ENSG00000141510\t\tTP53\t17\t1\t2\t-1\tprotein_coding\t\n"
    "ENSG00000000001\t\tGENEX\t1\t1\t2\t1\tprotein_coding\t\n"
    "ENSG00000000002\t\tGENEY\t1\t1\t2\t1\tprotein_coding\t\n"
    "ENSG00000000009\t\t\t1\t1\t2\t1\tlncRNA\t\n"
)
PREVIOUS = (
    "previous_symbol\tcurrent_symbol\tensembl_id\tbiotype\tseen_until\tcurrent_since\n"
    "MARCH8\tMARCHF8\tENSG00000165406\tprotein_coding\t90\t105\n"
    "SEPT2\tSEPTIN2\tENSG00000168385\tprotein_coding\t90\t105\n"
    "DARS\tDARS1\tENSG00000115866\tprotein_coding\t90\t105\n"
    "OLDZ\tNEWZ\tENSG00000000001\tprotein_coding\t90\t105\n"
)
HGNC = (
    "symbol\tapproved_symbol\tchromosome\n"
    "SEPT2\tSEPTIN2\t2\nSEPT2\tSEPTIN6\tX\n"  # HGNC: both; the Ensembl table decides first
    "XY1\tGENEX\t1\nXY1\tGENEY\t1\n"  # two known approved symbols: ambiguous
    "XQ1\tGENEX\t1\nXQ1\tGENEQ\t1\n"  # only GENEX is known: resolved
    "P53\tTP53\t17\n"
)


def tables(tmp_path: Path, previous: bool = True) -> ReferenceTables:
    for name, text in (("genes.tsv", GENE_TABLE), ("prev.tsv", PREVIOUS), ("hgnc.tsv", HGNC)):
        (tmp_path / name).write_text(text)
    return ReferenceTables(
        tmp_path / "genes.tsv", tmp_path / "prev.tsv" if previous else None, tmp_path / "hgnc.tsv"
    )


@pytest.fixture
def resolver(tmp_path) -> GeneResolver:
    return GeneResolver.load(None, tables=tables(tmp_path))


def test_each_rule_in_order(resolver):
    got = {n: (r.symbol, r.via) for n in (
        "TP53", "MARCH8", "SEPT2", "DARS", "ENSG00000141510", "ENSG00000141510.17", "P53",
        "XQ1", "NOTAGENE7", "ENSG00000099999",
    ) for r in [resolver.resolve(n)]}  # fmt: skip
    assert got == {
        "TP53": ("TP53", "approved"),
        "MARCH8": ("MARCHF8", "previous"),
        "SEPT2": ("SEPTIN2", "previous"),
        "DARS": ("DARS1", "previous"),
        "ENSG00000141510": ("TP53", "ensembl"),
        "ENSG00000141510.17": ("TP53", "ensembl"),
        "P53": ("TP53", "hgnc"),
        "XQ1": ("GENEX", "hgnc"),
        "NOTAGENE7": (None, "unknown"),
        "ENSG00000099999": (None, "unknown"),
    }
    ambiguous = resolver.resolve("XY1")
    assert (ambiguous.symbol, ambiguous.via, ambiguous.candidates) == (
        None, "ambiguous", ("GENEX", "GENEY"),
    )  # fmt: skip


def test_hgnc_alone_leaves_a_two_way_symbol_ambiguous(tmp_path):
    """Without the Ensembl-derived table, HGNC maps SEPT2 to SEPTIN2 and SEPTIN6, both known."""
    resolver = GeneResolver.load(None, tables=tables(tmp_path, previous=False))
    r = resolver.resolve("SEPT2")
    assert (r.symbol, r.via, r.candidates) == (None, "ambiguous", ("SEPTIN2", "SEPTIN6"))


def test_a_previous_symbol_follows_its_ensembl_id_when_the_new_symbol_is_unknown(tmp_path):
    """OLDZ → NEWZ, but the reference calls ENSG00000000001 GENEX: the Ensembl id wins."""
    resolver = GeneResolver.load(None, tables=tables(tmp_path))
    assert resolver.resolve("OLDZ").symbol == "GENEX"


def test_annotation_rows_match_by_ensembl_id_first(resolver):
    assert resolver.resolve_row("MARCH8", "ENSG00000165406").symbol == "MARCHF8"
    # a symbol reused by another gene: the Ensembl id says which gene the row is
    assert resolver.resolve_row("TP53", "ENSG00000115866").symbol == "DARS1"
    assert resolver.resolve_row("NEWGENE", "ENSG00000077777").via == "unknown"
    unnamed = resolver.resolve_row("ENSG00000077777", "ENSG00000077777")
    assert (unnamed.symbol, unnamed.via) == ("ENSG00000077777", "given")


def test_names_report_renamed_unknown_and_ambiguous(resolver):
    names = resolver.names(
        ["TP53", "MARCH8", "SEPT2", "MARCH8", "XY1", "NOTAGENE7", "ENSG00000115866"],
        what="genes.txt",
    )
    assert names.renamed == {"MARCH8": "MARCHF8", "SEPT2": "SEPTIN2", "ENSG00000115866": "DARS1"}
    assert names.unknown == ["NOTAGENE7"]
    assert names.ambiguous == {"XY1": ("GENEX", "GENEY")}
    assert names.unresolved == ["XY1", "NOTAGENE7"]
    assert names.gene_id("MARCH8") == "human:MARCHF8" and names.gene_id("XY1") is None
    assert names.summary() == (
        "6 gene names of genes.txt: 3 renamed (MARCH8 → MARCHF8, SEPT2 → SEPTIN2, "
        "ENSG00000115866 → DARS1); 1 unknown (NOTAGENE7); 1 ambiguous (XY1 → GENEX|GENEY)"
    )


def test_unique_symbols_keep_a_list_unique(resolver):
    given = ["MARCH8", "MARCHF8", "SEPT2", "NOTAGENE7", "ENSG00000141510"]
    names = resolver.names(given, what="var")
    # MARCH8 would collide with MARCHF8, which the list names itself: kept as given
    assert names.unique_symbols(given) == ["MARCH8", "MARCHF8", "SEPTIN2", "NOTAGENE7", "TP53"]


def test_unknown_names_are_an_error_naming_file_and_line_or_a_warning(resolver, caplog):
    names = resolver.names(["TP53", "NOTAGENE7", "XY1"], what="genes.txt")
    with pytest.raises(GeneListError) as err:
        names.check("error", path="genes.txt", error=GeneListError,
                    lines={"NOTAGENE7": 4, "XY1": 2})  # fmt: skip
    message = str(err.value)
    assert message.startswith("genes.txt:2: 2 gene name(s) of human not found: ")
    assert "NOTAGENE7, XY1 (ambiguous: GENEX|GENEY)" in message
    assert "--unknown-genes warn" in message and "\n" not in message
    with caplog.at_level(logging.WARNING):
        names.check("warn", path="genes.txt", then="left out")
    assert "genes.txt: 2 gene name(s) of human not found" in caplog.text
    with pytest.raises(UsageError, match="unknown_genes must be one of"):
        names.check("ignore", path="genes.txt")  # type: ignore[arg-type]
    resolver.names(["TP53"], what="x").check("error", path="x")  # nothing to report


def test_without_any_reference_names_are_taken_as_given(caplog):
    with caplog.at_level(logging.WARNING):
        resolver = GeneResolver.load(None, species="mouse", tables=ReferenceTables())
    assert "no gene reference for mouse" in caplog.text
    r = resolver.resolve("Actb")
    assert (r.symbol, r.via) == ("Actb", "given")
    assert resolver.resolve("ENSMUSG00000029580").via == "unknown"


def test_a_registered_table_that_cannot_be_fetched_is_left_out(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("PRIORGRAPH_DATA_DIR", str(tmp_path / "empty-mirror"))
    monkeypatch.setenv("PRIORGRAPH_HOME", str(tmp_path / "home"))
    ok = tables(tmp_path)
    with caplog.at_level(logging.WARNING):
        resolver = GeneResolver.load(
            None, tables=ReferenceTables(ok.genes, "ensembl.previous_symbols.human", ok.hgnc)
        )
    assert "gene reference ensembl.previous_symbols.human unavailable" in caplog.text
    assert resolver.resolve("MARCH8").via == "unknown" and resolver.resolve("P53").symbol == "TP53"


def test_ensembl_gene_ids():
    assert ensembl_gene_id("ENSG00000141510.17") == "ENSG00000141510"
    assert ensembl_gene_id("ENSMMUG00000000001") == "ENSMMUG00000000001"
    assert ensembl_gene_id("ENST00000269305") is None and ensembl_gene_id("TP53") is None


def test_the_graph_genes_are_part_of_the_reference_and_win(graph, tmp_path):
    """A gene the graph knows under another symbol for the same Ensembl id is the one names
    resolve to; graph-only genes are known."""
    graph.write(
        "CREATE (:Gene {id: 'human:DARS', symbol: 'DARS', species: 'human', "
        "ensembl: 'ENSG00000115866'}), (:Gene {id: 'human:ONLYHERE', symbol: 'ONLYHERE', "
        "species: 'human'}), (:Gene {id: 'macaque:TP53', symbol: 'TP53', species: 'macaque'})"
    )
    resolver = GeneResolver.load(graph, tables=tables(tmp_path))
    assert resolver.resolve("ENSG00000115866").symbol == "DARS"
    assert resolver.resolve("ONLYHERE").via == "approved"
    macaque = GeneResolver.load(graph, species="macaque", tables=ReferenceTables())
    assert macaque.resolve("TP53").via == "approved" and macaque.resolve("MARCH8").via == "unknown"


def test_reference_reads_need_their_columns(tmp_path):
    (tmp_path / "bad.tsv").write_text("gene\tid\nA\t1\n")
    with pytest.raises(GeneFileError, match="bad.tsv: gene table needs a 'symbol' column"):
        GeneReference("human").read_gene_table(tmp_path / "bad.tsv")


@pytest.mark.slow
def test_real_tables(shared_data, monkeypatch):
    monkeypatch.setenv("PRIORGRAPH_DATA_DIR", str(shared_data))
    resolver = GeneResolver.load(None)  # the registered human tables, from the mirror
    assert len(resolver.reference.origins) == 3
    genome = shared_data / "genome"
    names = resolver.names(
        ["MARCH8", "SEPT2", "DARS", "ENSG00000141510", "TP53", "NOTAGENE7"], what="real"
    )
    assert names.renamed == {
        "MARCH8": "MARCHF8", "SEPT2": "SEPTIN2", "DARS": "DARS1", "ENSG00000141510": "TP53",
    }  # fmt: skip
    assert names.unknown == ["NOTAGENE7"]
    # HGNC 2022-04 maps SEPT2 to SEPTIN2 and SEPTIN6; without the Ensembl-derived table it
    # stays ambiguous, as both are Ensembl 109 genes
    hgnc = genome / "hgnc_symbol_map_hgnchelper_2022-04.tsv"
    hgnc_only = GeneResolver.load(
        None, tables=ReferenceTables(genome / "grch38_genes_ensembl109.tsv", None, hgnc)
    )
    assert hgnc_only.resolve("SEPT2").candidates == ("SEPTIN2", "SEPTIN6")
