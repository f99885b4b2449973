"""Gene annotation readers (BED, Ensembl table, GTF), TSS and orthologs."""

from pathlib import Path

import pytest

from priorgraph.core.errors import GeneFileError
from priorgraph.ingest.gene_resolution import GeneReference, GeneResolver
from priorgraph.ingest.genes import (
    apply_tss_bed,
    check_orthologs,
    read_genes,
    read_orthologs,
    write_genes,
    write_orthologs,
)
from priorgraph.kg.writer import Provenance

PROV = Provenance("test.genes", "v1")
GENE_BED = (
    "chr1\t10000\t20000\tGENEA\tENSG01\t+\tprotein_coding\n"
    "chr1\t50000\t60000\tGENEB\tENSG02\t-\tlncRNA\n"
    "chr1\t70000\t80000\tGENEB\tENSG03\t+\tprotein_coding\n"  # same symbol: protein-coding wins
    "CHR_HSCHR1_1\t1\t100\tGENEC\tENSG04\t+\tprotein_coding\n"  # patch contig: skipped
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_gene_bed_with_tss_dedup_and_skips(tmp_path):
    genes = read_genes(write(tmp_path, "genes.bed", GENE_BED), "hg38")
    rows = {r["symbol"]: r for r in genes.gene_rows()}
    assert set(rows) == {"GENEA", "GENEB"}
    assert rows["GENEA"] == {
        "id": "human:GENEA",
        "symbol": "GENEA",
        "species": "human",
        "biotype": "protein_coding",
        "ensembl": "ENSG01",
    }
    loci = {r["name"]: r for r in genes.locus_rows()}
    assert loci["GENEA"] == {
        "id": "hg38:ENSG01",
        "assembly": "hg38",
        "species": "human",
        "name": "GENEA",
        "ensembl": "ENSG01",
        "chrom": "chr1",
        "start": 10000,
        "end": 20000,
        "strand": "+",
        "tss": 10000,
    }
    assert genes.locus_of_rows()[0] == {"start": "hg38:ENSG01", "end": "human:GENEA"}
    assert rows["GENEB"]["ensembl"] == "ENSG03"
    assert genes.report.duplicate_symbols == 1
    assert genes.report.skipped_contigs == {"CHR_HSCHR1_1": 1}


def test_ensembl_table_is_one_based_and_strand_numeric(tmp_path):
    table = (
        "ensgene\tentrez\tsymbol\tchr\tstart\tend\tstrand\tbiotype\tdescription\n"
        "ENSG05\t1\tGENED\t7\t1001\t2000\t-1\tprotein_coding\td\n"
        "ENSG06\t\t\t7\t1\t50\t1\tlncRNA\tno symbol\n"
    )
    genes = read_genes(write(tmp_path, "genes.tsv", table), "hg38")
    row = genes.locus_rows()[0]
    assert (row["chrom"], row["start"], row["end"], row["strand"], row["tss"]) == (
        "chr7",
        1000,
        2000,
        "-",
        1999,
    )
    assert genes.report.no_symbol == 1


def test_gtf_gene_lines(tmp_path):
    gtf = (
        "#!genome-build GRCh38\n"
        '1\tensembl\tgene\t101\t200\t.\t+\t.\tgene_id "ENSG07"; gene_name "GENEE"; '
        'gene_biotype "protein_coding";\n'
        '1\tensembl\texon\t101\t150\t.\t+\t.\tgene_id "ENSG07"; gene_name "GENEE";\n'
    )
    genes = read_genes(write(tmp_path, "genes.gtf", gtf), "hg38")
    assert genes.df[["symbol", "ensembl", "chrom", "start", "end", "tss"]].values.tolist() == [
        ["GENEE", "ENSG07", "chr1", 100, 200, 100]
    ]


def test_gtf_rows_without_gene_id_are_an_error_naming_the_line(tmp_path):
    gtf = (
        '1\tensembl\tgene\t101\t200\t.\t+\t.\tgene_id "ENSG07"; gene_name "GENEE";\n'
        '1\tensembl\tgene\t301\t400\t.\t+\t.\tgene_name "GENEF"; gene_biotype "lncRNA";\n'
    )
    with pytest.raises(GeneFileError) as err:
        read_genes(write(tmp_path, "genes.gtf", gtf), "hg38")
    assert str(err.value) == f"{tmp_path / 'genes.gtf'}:2: gene row without gene_id"
    empty = '1\tensembl\tgene\t1\t9\t.\t+\t.\tgene_id ""; gene_name "G";\n'
    with pytest.raises(GeneFileError, match=r"genes.gtf:1: gene row without a gene_id value"):
        read_genes(write(tmp_path, "genes.gtf", empty), "hg38")


def test_bad_gene_lines_name_file_and_line(tmp_path):
    with pytest.raises(GeneFileError, match=r"genes.bed:1: strand must be"):
        read_genes(write(tmp_path, "genes.bed", "chr1\t1\t9\tG\tENSG\t*\n"), "hg38")
    with pytest.raises(GeneFileError, match=r"genes.bed:1: need 0 <= start < end"):
        read_genes(write(tmp_path, "genes.bed", "chr1\t9\t9\tG\tENSG\t+\n"), "hg38")


def test_tss_bed_overrides_by_ensembl_id(tmp_path):
    genes = read_genes(write(tmp_path, "genes.bed", GENE_BED), "hg38")
    tss = write(tmp_path, "tss.bed", "chr1\t10500\t10501\tGENEA\tENSG01\t+\n")
    assert apply_tss_bed(genes, tss) == 1
    assert genes.df.set_index("symbol").loc["GENEA", "tss"] == 10500


def test_genes_and_orthologs_in_graph(graph, tmp_path):
    write_genes(
        graph, read_genes(write(tmp_path, "genes.bed", GENE_BED), "hg38"), PROV, progress=False
    )
    mac = write(tmp_path, "mac.bed", "chr1\t5\t900\tGENEA\tENSMMUG1\t+\tprotein_coding\n")
    write_genes(graph, read_genes(mac, "rheMac10"), PROV, progress=False)
    table = write(
        tmp_path,
        "orth.tsv",
        "HID\thuman_symbol\thuman_entrez\tmacaque_symbol\t"
        "macaque_entrez\n1\tGENEA\t1\tGENEA\t2\n2\tGENEB\t3\tGENEZ\t4\n3\tOLDA\t5\tGENEA\t2\n",
    )
    rows = read_orthologs(table)
    assert check_orthologs(graph, rows).missing == [
        ("human:GENEB", "macaque:GENEZ"), ("human:OLDA", "macaque:GENEA"),
    ]  # fmt: skip
    reference = GeneReference("human", previous={"OLDA": ("GENEA", None)})
    reference.add_genes([("GENEA", "ENSG01"), ("GENEB", "ENSG03")], "test")
    resolvers = {"human": GeneResolver(reference)}
    pairs = check_orthologs(graph, rows, resolvers=resolvers)
    assert pairs.missing == [("human:GENEB", "macaque:GENEZ")]  # OLDA is GENEA: one pair
    assert pairs.names[0].renamed == {"OLDA": "GENEA"}
    for _ in range(2):
        write_orthologs(graph, pairs, PROV, progress=False)
    rows = graph.read(
        "MATCH (a)-[r:ORTHOLOG_OF]->(b)<-[:LOCUS_OF]-(l:GeneLocus) RETURN a.id AS a, b.id AS b, "
        "r.homologene AS hid, l.assembly AS asm"
    )
    assert rows == [{"a": "human:GENEA", "b": "macaque:GENEA", "hid": "1", "asm": "rheMac10"}]


@pytest.mark.slow
def test_real_ensembl_genes(shared_data):
    genes = read_genes(shared_data / "genome" / "hg38_genes_ensembl109.bed", "hg38")
    gapdh = genes.df.set_index("symbol").loc["GAPDH"]
    assert (gapdh["chrom"], gapdh["strand"], gapdh["tss"] + 1) == ("chr12", "+", 6_534_512)
    # 62,656 lines (the data README says 62,655); 1,439 symbols name more than one gene
    assert (genes.report.rows, genes.report.genes, genes.report.duplicate_symbols) == (
        62_656,
        61_217,
        1_439,
    )
