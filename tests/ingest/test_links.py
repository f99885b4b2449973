"""Window links (GLUE rules), conserved boost, external link tables, writing to the graph."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from priorgraph.core.errors import LinkFileError, UsageError
from priorgraph.ingest.gene_resolution import GeneReference, GeneResolver
from priorgraph.ingest.genes import read_genes, write_genes
from priorgraph.ingest.links import (
    check_endpoints,
    gene_regions,
    graph_features,
    power_decay,
    read_link_table,
    window_links,
    window_method,
    write_links,
)
from priorgraph.ingest.peaks import read_peaks, write_peaks
from priorgraph.kg.writer import Provenance

PROV = Provenance("test.links", "v1")
GENES = pd.DataFrame(
    {
        "id": ["human:G", "human:H"],
        "chrom": ["chr1", "chr1"],
        "start": [10000, 50000],
        "end": [20000, 60000],
        "strand": ["+", "-"],
        "tss": [10000, 59999],
    }
)
PEAKS = pd.DataFrame(
    {
        "id": ["p1", "p2", "p3"],
        "chrom": ["chr1"] * 3,
        "start": [9000, 25000, 200000],
        "end": [9500, 25500, 200500],
        "conserved": [False, True, False],
    }
)


def test_power_decay_is_glue_weight():
    assert power_decay(0) == 1.0
    assert power_decay(1000) == pytest.approx(2**-0.75)
    assert power_decay(150_000) == pytest.approx(151**-0.75)


def test_gene_regions_are_strand_aware():
    promoter = gene_regions(GENES, "promoter", 2000)
    assert promoter[["start", "end"]].values.tolist() == [[8000, 10001], [59999, 62000]]
    combined = gene_regions(GENES, "combined", 2000)
    assert combined[["start", "end"]].values.tolist() == [[8000, 20000], [50000, 62000]]
    body = gene_regions(GENES, "gene_body", 2000)
    assert body[["start", "end"]].values.tolist() == [[10000, 20000], [50000, 60000]]
    with pytest.raises(UsageError, match="unknown region"):
        gene_regions(GENES, "enhancer", 2000)


def test_window_links_distances_and_weights():
    links = window_links(PEAKS, GENES).sort_values(["gene_id", "peak_id"])
    got = [(r.peak_id, r.gene_id, r.distance) for r in links.itertuples()]
    # p1 overlaps G's promoter extension; p2 is 5,000 bp past G's end (d = gap + 1);
    # p3 is 138,000 bp past H's region [50000, 62000) and 180,000 bp from G (outside).
    assert got == [
        ("p1", "human:G", 0),
        ("p2", "human:G", 5001),
        ("p1", "human:H", 40501),
        ("p2", "human:H", 24501),
        ("p3", "human:H", 138001),
    ]
    w = dict(zip(zip(links.peak_id, links.gene_id, strict=True), links.weight, strict=True))
    assert w[("p1", "human:G")] == 1.0
    assert w[("p2", "human:G")] == pytest.approx((6001 / 1000) ** -0.75)
    assert set(links["sign"]) == {1} and set(links["method"]) == {"window_combined_150kb"}


def test_window_edges_are_inclusive_like_glue():
    peak = pd.DataFrame({"id": ["p"], "chrom": ["chr1"], "start": [21000], "end": [21100]})
    assert len(window_links(peak, GENES.iloc[:1], window=1001)) == 1  # gap 1000 -> d 1001
    assert len(window_links(peak, GENES.iloc[:1], window=1000)) == 0


def test_conserved_boost_is_capped_at_one():
    links = window_links(PEAKS, GENES, conserved_boost=3.0)
    w = dict(zip(zip(links.peak_id, links.gene_id, strict=True), links.weight, strict=True))
    assert w[("p2", "human:G")] == pytest.approx(3 * 6.001**-0.75)
    assert w[("p1", "human:G")] == 1.0  # not conserved, unchanged
    boosted = window_links(PEAKS.assign(conserved=True), GENES, conserved_boost=3.0)
    assert boosted["weight"].max() == 1.0 and (boosted["weight"] > 0).all()


def test_window_method_names():
    assert window_method("promoter", 150_000) == "window_promoter_150kb"
    assert window_method("gene_body", 2500) == "window_gene_body_2500bp"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_link_table_with_and_without_sign(tmp_path):
    t = read_link_table(
        write(
            tmp_path, "c.tsv", "peak\tgene\tscore\n1_100_600\tKLF1\t-0.4\nchr1-700-900\tKLF1\t0\n"
        ),
        "hg38",
        "cicero",
    )
    assert t.zero_scores == 1
    assert t.links.to_dict("records") == [
        {
            "peak_id": "hg38:chr1:100-600",
            "gene_id": "human:KLF1",
            "distance": None,
            "weight": 0.4,
            "sign": -1,
            "method": "cicero",
        }
    ]
    signed = read_link_table(
        write(tmp_path, "a.csv", "peak,gene,score,sign\nchr1:100-600,GATA1,0.5,-1\n"), "hg38", "abc"
    )
    assert signed.links[["weight", "sign"]].values.tolist() == [[0.5, -1]]


def test_link_table_errors_are_listed_and_scores_above_one_need_scale(tmp_path):
    text = "peak\tgene\tscore\nchr1:100-600\tA\t2\nchr1:5\tB\t1\nchr1:1-9\tC\tx\nchr1:1-9\tD\t4\n"
    path = write(tmp_path, "bad.tsv", text)
    with pytest.raises(LinkFileError) as err:
        read_link_table(path, "hg38", "abc")
    msg = str(err.value)
    assert "bad.tsv:3: peak 'chr1:5' is not chrom:start-end" in msg
    assert "bad.tsv:4: score/sign not numeric" in msg
    assert "2 scores with |score| > 1 (max 4)" in msg
    fixed = write(tmp_path, "ok.tsv", "peak\tgene\tscore\nchr1:100-600\tA\t2\nchr1:1-9\tD\t4\n")
    assert read_link_table(fixed, "hg38", "abc", scale=True).links["weight"].tolist() == [0.5, 1.0]


GENE_BED = (
    "chr1\t10000\t20000\tG\tENSG1\t+\tprotein_coding\n"
    "chr1\t50000\t60000\tH\tENSG2\t-\tprotein_coding\n"
)
PEAK_BED = "chr1\t9000\t9500\nchr1\t25000\t25500\nchr1\t200000\t200500\n"


def load_tiny(graph, tmp_path):
    write_genes(graph, read_genes(write(tmp_path, "g.bed", GENE_BED), "hg38"), PROV, progress=False)
    write_peaks(graph, read_peaks(write(tmp_path, "p.bed", PEAK_BED), "hg38"), PROV, progress=False)


def test_window_links_from_graph_are_written_idempotently(graph, tmp_path):
    load_tiny(graph, tmp_path)
    peaks, genes = graph_features(graph, "hg38")
    assert len(peaks) == 3 and genes["tss"].tolist() == [10000, 59999]
    links = window_links(peaks, genes)
    first = write_links(graph, links, PROV, assembly="hg38", progress=False)
    again = write_links(graph, links, PROV, assembly="hg38", progress=False)
    assert (first.relationships_created, first.relationships_deleted) == (5, 0)
    # the second run finds the method's set current (same version): nothing written, same graph
    assert (again.rows, again.relationships_created, again.relationships_deleted) == (5, 0, 0)
    assert graph.read("MATCH ()-[r:LINKED_TO]->() RETURN count(r) AS n") == [{"n": 5}]
    row = graph.read(
        "MATCH (p:Peak)-[r:LINKED_TO]->(g:Gene {symbol: 'G'}) WHERE r.distance > 0 "
        "RETURN p.id AS p, r.distance AS d, r.weight AS w, r.sign AS s, "
        "r.method AS m"
    )
    assert row == [
        {
            "p": "hg38:chr1:25000-25500",
            "d": 5001,
            "w": pytest.approx(6.001**-0.75),
            "s": 1,
            "m": "window_combined_150kb",
        }
    ]


def test_external_links_check_endpoints_before_writing(graph, tmp_path):
    load_tiny(graph, tmp_path)
    table = read_link_table(
        write(
            tmp_path,
            "c.tsv",
            "peak\tgene\tscore\n"
            "chr1:9000-9500\tH\t0.3\nchr1:1-5\tH\t0.2\nchr1:9000-9500\tZZ\t0.1\n",
        ),
        "hg38",
        "cicero",
    )
    with pytest.raises(LinkFileError, match="1 links name peaks and 1 name genes that are not"):
        check_endpoints(graph, table)
    checked = check_endpoints(graph, table, skip_missing=True)
    assert (checked.missing_peaks, checked.missing_genes, len(checked.links)) == (1, 1, 1)
    write_links(graph, checked.links, PROV, assembly="hg38", atomic=True, progress=False)
    rows = graph.read(
        "MATCH (p)-[r:LINKED_TO]->(g) RETURN r.weight AS w, r.distance AS d, r.method AS m"
    )
    assert rows == [{"w": 0.3, "d": None, "m": "cicero"}]
    reference = GeneReference("human", previous={"OLDH": ("H", None)})
    reference.add_genes([("G", None), ("H", None)], "test")
    old = read_link_table(
        write(tmp_path, "o.tsv", "peak\tgene\tscore\nchr1:9000-9500\tOLDH\t0.4\n"), "hg38", "abc"
    )
    renamed = check_endpoints(graph, old, resolver=GeneResolver(reference))
    assert renamed.links["gene_id"].tolist() == ["human:H"]
    assert renamed.names.renamed == {"OLDH": "H"}


@pytest.mark.slow
def test_real_tss_peak_proximity(shared_data):
    """Data README: 68 % of protein-coding TSSs lie within 1 kb of a peak."""
    genes = read_genes(shared_data / "genome" / "hg38_genes_ensembl109.bed", "hg38").df
    coding = genes[genes["biotype"] == "protein_coding"].assign(id=lambda d: d["symbol"])
    peaks = read_peaks(
        shared_data / "peaks" / "pbmc10k_multiome_atac_peaks_hg38.bed",
        "hg38",
        unknown_contigs="skip",
    ).df.assign(id=lambda d: np.arange(len(d)))
    near = window_links(peaks, coding, window=1000, region="promoter", promoter_len=0)
    fraction = near["gene_id"].nunique() / len(coding)
    assert 0.66 < fraction < 0.70
