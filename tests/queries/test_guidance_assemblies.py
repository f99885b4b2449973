"""hg38, hg19 and a macaque assembly side by side: one Gene per Ensembl id, one locus per
assembly, and links and guidance exports of each assembly from that assembly's loci only."""

from pathlib import Path

import pytest

from priorgraph.ingest.gene_resolution import GeneReference, GeneResolver
from priorgraph.ingest.genes import read_genes, resolve_genes, write_genes
from priorgraph.ingest.links import graph_features, window_links, write_links
from priorgraph.ingest.peaks import read_peaks, write_peaks
from priorgraph.kg.writer import Provenance
from priorgraph.queries.export_guidance import (
    fetch_guidance,
    read_graphml,
    to_heterodata,
    validate_guidance,
    write_graphml,
)

PROV = Provenance("test.assemblies", "v1")
# hg38 (Ensembl 109 symbols) as a BED
HG38_GENES = (
    "chr10\t1000000\t1010000\tMARCHF8\tENSG00000165406\t-\tprotein_coding\n"
    "chr17\t7661778\t7687538\tTP53\tENSG00000141510\t-\tprotein_coding\n"
)
HG38_PEAKS = "chr10\t1012000\t1012500\nchr17\t7687000\t7687600\nchr17\t7800000\t7800300\n"
# hg19 (GENCODE 19 still says MARCH8; versioned gene ids) as a GTF, other coordinates
HG19_GENES = (
    '10\tHAVANA\tgene\t2000001\t2010000\t.\t-\t.\tgene_id "ENSG00000165406.14"; '
    'gene_name "MARCH8"; gene_type "protein_coding";\n'
    '17\tHAVANA\tgene\t7565097\t7590856\t.\t-\t.\tgene_id "ENSG00000141510.11"; '
    'gene_name "TP53"; gene_type "protein_coding";\n'
)
HG19_PEAKS = "chr10\t2011000\t2011400\nchr17\t7590000\t7590500\n"
# a macaque assembly, as an Ensembl/annotables table (1-based)
MAC_GENES = (
    "ensgene\tentrez\tsymbol\tchr\tstart\tend\tstrand\tbiotype\tdescription\n"
    "ENSMMUG00000000008\t\tTP53\t16\t7500001\t7520000\t-1\tprotein_coding\t\n"
)
MAC_PEAKS = "chr16\t7519000\t7519800\n"


def human() -> GeneResolver:
    reference = GeneReference("human", previous={"MARCH8": ("MARCHF8", "ENSG00000165406")})
    reference.add_genes([("MARCHF8", "ENSG00000165406"), ("TP53", "ENSG00000141510")], "test")
    return GeneResolver(reference)


def load(graph, tmp_path: Path, assembly: str, genes: str, peaks: str, gene_file: str) -> None:
    (tmp_path / gene_file).write_text(genes)
    (tmp_path / f"{assembly}.bed").write_text(peaks)
    gene_set = read_genes(tmp_path / gene_file, assembly)
    if gene_set.species == "human":
        gene_set = resolve_genes(gene_set, human())
    write_genes(graph, gene_set, PROV, progress=False)
    write_peaks(graph, read_peaks(tmp_path / f"{assembly}.bed", assembly), PROV, progress=False)


def link(graph, assembly: str) -> None:
    write_links(graph, window_links(*graph_features(graph, assembly)), PROV, assembly=assembly,
                progress=False)  # fmt: skip


@pytest.fixture
def three(graph, tmp_path):
    graph.write(  # a gene as an older version wrote it: coordinates on the Gene node
        "CREATE (:Gene {id: 'human:TP53', symbol: 'TP53', species: 'human', assembly: 'hg38', "
        "chrom: 'chr17', start: 1, end: 2, strand: '-', tss: 1})"
    )
    load(graph, tmp_path, "hg38", HG38_GENES, HG38_PEAKS, "hg38.genes.bed")
    load(graph, tmp_path, "hg19", HG19_GENES, HG19_PEAKS, "hg19.genes.gtf")
    load(graph, tmp_path, "rheMac10", MAC_GENES, MAC_PEAKS, "mac.genes.tsv")
    for assembly in ("hg38", "hg19", "rheMac10"):
        link(graph, assembly)
    return graph


def test_one_gene_per_ensembl_id_with_a_locus_per_assembly(three):
    rows = three.read(
        "MATCH (l:GeneLocus)-[:LOCUS_OF]->(g:Gene) RETURN g.id AS gene, g.ensembl AS ensembl, "
        "l.id AS locus, l.name AS name, l.start AS start, l.tss AS tss ORDER BY locus"
    )
    assert rows == [
        {"gene": "human:TP53", "ensembl": "ENSG00000141510", "locus": "hg19:ENSG00000141510",
         "name": "TP53", "start": 7565096, "tss": 7590855},
        {"gene": "human:MARCHF8", "ensembl": "ENSG00000165406", "locus": "hg19:ENSG00000165406",
         "name": "MARCH8", "start": 2000000, "tss": 2009999},
        {"gene": "human:TP53", "ensembl": "ENSG00000141510", "locus": "hg38:ENSG00000141510",
         "name": "TP53", "start": 7661778, "tss": 7687537},
        {"gene": "human:MARCHF8", "ensembl": "ENSG00000165406", "locus": "hg38:ENSG00000165406",
         "name": "MARCHF8", "start": 1000000, "tss": 1009999},
        {"gene": "macaque:TP53", "ensembl": "ENSMMUG00000000008",
         "locus": "rheMac10:ENSMMUG00000000008", "name": "TP53", "start": 7500000,
         "tss": 7519999},
    ]  # fmt: skip
    # the migration: coordinates an older version kept on Gene nodes are gone
    assert three.read("MATCH (g:Gene) WHERE g.chrom IS NOT NULL RETURN g.id AS id") == []
    with pytest.raises(Exception, match="already exists"):  # (species, ensembl) is unique
        three.write("CREATE (:Gene {id: 'human:X', species: 'human', ensembl: 'ENSG00000141510'})")


def test_links_of_each_assembly_use_its_own_loci(three):
    rows = three.read(
        "MATCH (p:Peak)-[r:LINKED_TO]->(g:Gene) RETURN r.assembly AS asm, p.id AS peak, "
        "g.id AS gene, r.distance AS d, r.method AS method ORDER BY asm, peak, gene"
    )
    got = [(r["asm"], r["peak"], r["gene"], r["d"]) for r in rows]
    assert got == [
        # hg19: MARCH8 [2000000, 2010000) on −, its promoter up to 2012000: the peak overlaps
        ("hg19", "hg19:chr10:2011000-2011400", "human:MARCHF8", 0),
        ("hg19", "hg19:chr17:7590000-7590500", "human:TP53", 0),
        # hg38: MARCHF8 [1000000, 1010000) on −, region up to 1012000: next base, d = 1
        ("hg38", "hg38:chr10:1012000-1012500", "human:MARCHF8", 1),
        ("hg38", "hg38:chr17:7687000-7687600", "human:TP53", 0),
        ("hg38", "hg38:chr17:7800000-7800300", "human:TP53", 7800000 - 7689538 + 1),
        ("rheMac10", "rheMac10:chr16:7519000-7519800", "macaque:TP53", 0),
    ]
    assert {r["method"] for r in rows} == {"window_combined_150kb"}


def test_reloading_one_assembly_leaves_the_others(three, tmp_path):
    moved = HG38_GENES.replace("1000000\t1010000", "1100000\t1110000")
    load(three, tmp_path, "hg38", moved, HG38_PEAKS, "hg38.genes.bed")
    link(three, "hg38")
    per_assembly = three.read(
        "MATCH ()-[r:LINKED_TO]->() RETURN r.assembly AS asm, count(*) AS n ORDER BY asm"
    )
    assert per_assembly == [{"asm": "hg19", "n": 2}, {"asm": "hg38", "n": 3},
                            {"asm": "rheMac10", "n": 1}]  # fmt: skip
    loci = three.read(
        "MATCH (l:GeneLocus {id: 'hg38:ENSG00000165406'}) RETURN l.start AS s"
    ) + three.read("MATCH (l:GeneLocus {id: 'hg19:ENSG00000165406'}) RETURN l.start AS s")
    assert loci == [{"s": 1100000}, {"s": 2000000}]


@pytest.mark.parametrize(
    ("assembly", "genes", "peaks", "links"),
    [
        ("hg38", ["MARCHF8", "TP53"], 3, 3),
        ("hg19", ["MARCHF8", "TP53"], 2, 2),
        ("rheMac10", ["TP53"], 1, 1),
    ],
)
def test_guidance_export_of_each_assembly(three, tmp_path, assembly, genes, peaks, links):
    tables = fetch_guidance(three, assembly)
    assert tables.genes["name"].tolist() == genes
    assert len(tables.peaks) == peaks and len(tables.edges) == links
    assert {p.split(":")[0] for p in tables.peaks["id"]} == {assembly}
    data = to_heterodata(tables).data
    assert data["peak", "linked_to", "gene"].edge_index.shape == (2, links)
    written = write_graphml(tables, tmp_path / f"{assembly}.graphml.gz")
    g = read_graphml(written.path)
    assert validate_guidance(g) == []
    assert g.number_of_nodes() == len(genes) + peaks
    assert g.number_of_edges() == 2 * links + len(genes) + peaks
