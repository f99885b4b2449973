"""LiftOver rules and consensus peaks with a tiny hand-written UCSC chain; TP53 on real data."""

from pathlib import Path

import pytest

from priorgraph.core.errors import ChainFileError, UsageError
from priorgraph.ingest.liftover import (
    consensus,
    lift_peaks,
    load_chain,
    write_consensus,
    write_lifted_bed,
)
from priorgraph.ingest.peaks import read_peaks, write_peaks
from priorgraph.kg.writer import Provenance

# hg38 -> hg19 (invented): chr1 [0,10k) +1000; chr1 [20k,30k) with a 1000/1500 gap at 24k;
# chr2 onto the minus strand of chr3; chr4 two chains in reverse order; chr5 split onto chr5/chr6.
CHAIN = """\
chain 1000 chr1 100000 + 0 10000 chr1 100000 + 1000 11000 1
10000

chain 900 chr1 100000 + 20000 30000 chr1 100000 + 40000 50500 2
4000\t1000\t1500
5000

chain 800 chr2 100000 + 0 10000 chr3 50000 - 0 10000 3
10000

chain 700 chr4 100000 + 0 1000 chr4 100000 + 5000 6000 4
1000

chain 600 chr4 100000 + 1000 2000 chr4 100000 + 0 1000 5
1000

chain 500 chr5 100000 + 0 1000 chr5 100000 + 0 1000 6
1000

chain 400 chr5 100000 + 1000 2000 chr6 100000 + 0 1000 7
1000
"""
SOURCE = (
    "chr1\t100\t600\n"  # maps: chr1:1100-1600
    "chr1\t23000\t26000\n"  # ends map across the gap: length 3000 -> 3500
    "chr1\t23900\t24100\n"  # last base in the chain gap: unmapped
    "chr1\t12000\t12500\n"  # no chain: unmapped
    "chr2\t100\t200\n"  # minus strand: chr3:49800-49900
    "chr4\t900\t1100\n"  # ends in reverse order: inverted
    "chr5\t900\t1100\n"  # ends on chr5 and chr6: split
)
PROV = Provenance("test.chain", "v1")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture
def chain(tmp_path):
    return load_chain(write(tmp_path, "hg38ToHg19.over.chain", CHAIN))


@pytest.fixture
def source(tmp_path):
    return read_peaks(write(tmp_path, "source.bed", SOURCE), "hg38")


def test_chain_header_sizes_and_name(chain):
    assert chain.name == "hg38ToHg19"
    assert chain.source_sizes == {"chr1": 100000, "chr2": 100000, "chr4": 100000, "chr5": 100000}
    assert chain.target_sizes["chr3"] == 50000


def test_each_outcome_is_classified_and_counted(chain, source):
    lift = lift_peaks(source, chain, progress=False, min_mapped=0.1)
    assert dict(lift.counts) == {"mapped": 3, "unmapped": 2, "inverted": 1, "split": 1}
    got = {r.source_id: (r.chrom, r.start, r.end) for r in lift.lifted.itertuples()}
    assert got == {
        "hg38:chr1:100-600": ("chr1", 1100, 1600),
        "hg38:chr1:23000-26000": ("chr1", 43000, 46500),
        "hg38:chr2:100-200": ("chr3", 49800, 49900),
    }
    assert lift.summary() == (
        "7 peaks through hg38ToHg19: mapped 3, unplaced 0, unmapped 2, split 1, inverted 1, "
        "length 0; multi 0"
    )


def test_length_tolerance_rejects_large_indels(chain, source):
    lift = lift_peaks(source, chain, tolerance=0.1, progress=False, min_mapped=0.1)
    assert lift.counts["length"] == 1 and lift.counts["mapped"] == 2  # 500 bp > 10 % of 3000


def test_mostly_unmapped_peaks_mean_a_wrong_chain(tmp_path, chain):
    peaks = read_peaks(
        write(
            tmp_path,
            "x.bed",
            "chr1\t100\t600\nchr1\t50000\t50500\nchr1\t60000\t60500\nchr2\t30000\t30100\n",
        ),
        "hg38",
    )
    with pytest.raises(ChainFileError) as err:
        lift_peaks(peaks, chain, progress=False)
    assert "only 1 of 4 peaks (25.0%) mapped through hg38ToHg19.over.chain" in str(err.value)
    assert "unmapped 3" in str(err.value) and "is this chain for hg38?" in str(err.value)


def test_peaks_beyond_the_chain_chromosome_mean_another_assembly(tmp_path, chain):
    peaks = read_peaks(write(tmp_path, "x.bed", "chr1\t100\t600\nchr1\t150000\t150500\n"), "hg38")
    with pytest.raises(ChainFileError, match=r"1 of 2 peaks end beyond .* chr1 is 100,000 bp"):
        lift_peaks(peaks, chain, progress=False)


def test_malformed_chain_is_a_clear_error(tmp_path):
    with pytest.raises(ChainFileError, match="not a readable UCSC chain file"):
        load_chain(write(tmp_path, "bad.chain", "chain 1 chr1 100 + 0 10\n5\n"))


def test_consensus_needs_reciprocal_overlap(tmp_path, chain, source):
    lift = lift_peaks(source, chain, progress=False, min_mapped=0.1)
    target = read_peaks(
        write(tmp_path, "t.bed", "chr1\t1200\t1700\nchr1\t42000\t43200\nchr3\t49850\t50000\n"),
        "hg19",
    )
    pairs = consensus(lift, target)
    # chr1:1100-1600 vs 1200-1700: 400 bp = 80 % of both; chr3 49800-49900 vs 49850-50000: 50 bp
    # = 50 % of the lifted and 33 % of the target peak; 42000-43200 vs 43000-46500: 200 bp.
    assert pairs.to_dict("records") == [
        {"source_id": "hg38:chr1:100-600", "target_id": "hg19:chr1:1200-1700", "overlap": 0.8,
         "multi": False}
    ]  # fmt: skip
    assert len(consensus(lift, target, min_overlap=0.3)) == 2


def test_lifted_bed_is_written(tmp_path, chain, source):
    lift = lift_peaks(source, chain, progress=False, min_mapped=0.1)
    path = write_lifted_bed(lift, tmp_path / "out" / "lifted.bed")
    assert path.read_text().splitlines()[0] == "chr1\t1100\t1600\thg38:chr1:100-600"


def test_write_consensus_flags_conserved_and_is_idempotent(graph, tmp_path, chain, source):
    target = read_peaks(write(tmp_path, "t.bed", "chr1\t1200\t1700\nchr1\t9000\t9100\n"), "hg19")
    pairs = consensus(lift_peaks(source, chain, progress=False, min_mapped=0.1), target)
    with pytest.raises(UsageError, match="2 peaks of the consensus are not in the graph"):
        write_consensus(graph, pairs, chain, PROV, progress=False)
    assert graph.read("MATCH ()-[r:LIFTS_TO]->() RETURN count(r) AS n") == [{"n": 0}]
    write_peaks(graph, source, PROV, progress=False)
    write_peaks(graph, target, PROV, progress=False)
    for _ in range(2):
        write_consensus(graph, pairs, chain, PROV, progress=False)
    rows = graph.read(
        "MATCH (a)-[r:LIFTS_TO]->(b) RETURN a.id AS a, b.id AS b, r.chain AS chain,"
        " r.overlap AS overlap, r.multi AS multi"
    )
    assert rows == [
        {
            "a": "hg38:chr1:100-600",
            "b": "hg19:chr1:1200-1700",
            "chain": "hg38ToHg19",
            "overlap": 0.8,
            "multi": False,
        }
    ]
    flagged = graph.read("MATCH (p:Peak {conserved: true}) RETURN p.id AS id ORDER BY id")
    assert [r["id"] for r in flagged] == ["hg19:chr1:1200-1700", "hg38:chr1:100-600"]


# chr1 maps to chr1; chr2 onto an unplaced hg19 contig, chr3 onto a haplotype; chr4 [0, 1000)
# lies in two chains (chr4 and chr9: a paralogous copy); chr5 in two, the better one onto chrUn.
PLACES = """\
chain 1000 chr1 100000 + 0 10000 chr1 100000 + 1000 11000 1
10000

chain 900 chr2 100000 + 0 10000 chrUn_gl000220 200000 + 5000 15000 2
10000

chain 800 chr3 100000 + 0 10000 chr6_apd_hap1 300000 + 0 10000 3
10000

chain 700 chr4 100000 + 0 1000 chr4 100000 + 5000 6000 4
1000

chain 600 chr4 100000 + 0 1000 chr9 100000 + 0 1000 5
1000

chain 990 chr5 100000 + 0 1000 chrUn_gl000221 100000 + 0 1000 6
1000

chain 100 chr5 100000 + 0 1000 chr5 100000 + 2000 3000 7
1000
"""
PLACES_PEAKS = "chr1\t100\t600\nchr2\t100\t600\nchr3\t100\t600\nchr4\t100\t300\nchr5\t100\t300\n"


@pytest.fixture
def places(tmp_path):
    chain = load_chain(write(tmp_path, "hg38ToHg19.over.chain", PLACES))
    return chain, read_peaks(write(tmp_path, "p.bed", PLACES_PEAKS), "hg38")


def test_unplaced_contigs_are_counted_apart_and_left_out(tmp_path, places):
    chain, peaks = places
    lift = lift_peaks(peaks, chain, progress=False)
    assert (lift.counts["mapped"], lift.counts["unplaced"], lift.multi) == (3, 2, 2)
    assert lift.lifted.values.tolist() == [
        ["hg38:chr1:100-600", "chr1", 1100, 1600, False],
        ["hg38:chr4:100-300", "chr4", 5100, 5300, True],  # the best chain of the two
        ["hg38:chr5:100-300", "chr5", 2100, 2300, True],  # a primary chromosome before chrUn
    ]
    # the tool accepts its own output: the lifted BED loads as hg19 peaks and lifts again
    bed = write_lifted_bed(lift, tmp_path / "lifted.bed")
    assert read_peaks(bed, "hg19").ids == [
        "hg19:chr1:1100-1600", "hg19:chr4:5100-5300", "hg19:chr5:2100-2300",
    ]  # fmt: skip
    back = write(tmp_path, "hg19ToHg38.over.chain",
                 "chain 1 chr1 100000 + 1000 11000 chr1 100000 + 0 10000 1\n10000\n")  # fmt: skip
    assert len(lift_peaks(read_peaks(bed, "hg19"), load_chain(back), progress=False,
                          min_mapped=0.1).lifted) == 1  # fmt: skip
    kept = lift_peaks(peaks, chain, progress=False, unplaced="keep")
    assert sorted(kept.lifted["chrom"]) == ["chr1", "chr4", "chr5", "chr6_apd_hap1",
                                            "chrUn_gl000220"]  # fmt: skip
    with pytest.raises(UsageError, match="unplaced must be one of"):
        lift_peaks(peaks, chain, progress=False, unplaced="drop")


def test_multi_mapping_is_kept_on_lifts_to(graph, tmp_path, places):
    chain, peaks = places
    lift = lift_peaks(peaks, chain, progress=False)
    target = read_peaks(write(tmp_path, "t.bed", "chr1\t1100\t1600\nchr4\t5100\t5300\n"), "hg19")
    pairs = consensus(lift, target)
    assert pairs[["target_id", "multi"]].values.tolist() == [
        ["hg19:chr1:1100-1600", False], ["hg19:chr4:5100-5300", True],
    ]  # fmt: skip
    write_peaks(graph, peaks, PROV, progress=False)
    write_peaks(graph, target, PROV, progress=False)
    write_consensus(graph, pairs, chain, PROV, progress=False)
    rows = graph.read("MATCH (a)-[r:LIFTS_TO {multi: true}]->(b) RETURN a.id AS a, b.id AS b")
    assert rows == [{"a": "hg38:chr4:100-300", "b": "hg19:chr4:5100-5300"}]
    source = graph.read("MATCH (s:Source {id: 'test.chain'}) RETURN s.multi AS multi")
    assert source == [{"multi": 1}]


HG19_CHR1 = 249250621  # chr1 of hg19 in a chain header: the chain lifts from hg19


def test_the_chains_assemblies_are_checked_against_the_peaks_whatever_the_input(tmp_path, caplog):
    one_peak = read_peaks(write(tmp_path, "one.bed", "chr1\t100\t600\n"), "hg38")
    by_name = load_chain(write(tmp_path, "hg19ToHg38.over.chain", CHAIN))
    with pytest.raises(ChainFileError) as err:
        lift_peaks(one_peak, by_name, progress=False)
    assert str(err.value).endswith(
        "hg19ToHg38.over.chain: this chain lifts from hg19 (by its file name), not hg38: use a "
        "chain made for peaks of hg38"
    )
    header = f"chain 1 chr1 {HG19_CHR1} + 0 10000 chr1 248956422 + 0 10000 1\n10000\n"
    by_header = load_chain(write(tmp_path, "mine.chain", header))
    with pytest.raises(ChainFileError, match="lifts from hg19 \\(by its header\\), not hg38"):
        lift_peaks(one_peak, by_header, progress=False)
    hg19_peak = read_peaks(write(tmp_path, "h.bed", "chr1\t100\t600\n"), "hg19")
    assert by_header.check(source="hg19") == "hg38"  # the header's target: hg38 sizes
    assert len(lift_peaks(hg19_peak, by_header, progress=False).lifted) == 1
    right = load_chain(write(tmp_path, "hg38ToHg19.over.chain", CHAIN))
    with pytest.raises(ChainFileError, match="lifts to hg19 \\(by its file name\\), not rheMac10"):
        lift_peaks(one_peak, right, target_assembly="rheMac10", progress=False)
    anonymous = load_chain(write(tmp_path, "liftme.chain", CHAIN))
    lift_peaks(one_peak, anonymous, progress=False)
    assert "neither the file name nor the header tell" in caplog.text


@pytest.mark.slow
def test_tp53_lifts_from_hg38_to_hg19(tmp_path, shared_data):
    chain = load_chain(shared_data / "genome" / "hg38ToHg19.over.chain.gz")
    # TP53 gene body, Ensembl 109: hg38 chr17:7,661,779-7,687,538 -> hg19 chr17:7,565,097-7,590,856
    peaks = read_peaks(write(tmp_path, "tp53.bed", "chr17\t7661778\t7687538\n"), "hg38")
    lift = lift_peaks(peaks, chain, progress=False)
    assert lift.lifted[["chrom", "start", "end"]].values.tolist() == [["chr17", 7565096, 7590856]]


@pytest.mark.slow
def test_real_pbmc_peaks_lift_to_hg19(shared_data):
    chain = load_chain(shared_data / "genome" / "hg38ToHg19.over.chain.gz")
    peaks = read_peaks(
        shared_data / "peaks" / "pbmc10k_multiome_atac_peaks_hg38.bed",
        "hg38",
        unknown_contigs="skip",
    )
    lift = lift_peaks(peaks, chain, progress=False)
    assert lift.total == 63_723
    assert lift.mapped_fraction > 0.99
    # 11 peaks land on unplaced hg19 contigs (chrUn_gl000220, …): counted apart, left out
    assert (lift.counts["mapped"], lift.counts["unplaced"], lift.multi) == (63_550, 11, 0)
    assert chain.assemblies() == {"source": {"file name": "hg38", "header": "hg38"},
                                  "target": {"file name": "hg19", "header": "hg19"}}  # fmt: skip
    assert set(lift.lifted["chrom"]) <= {f"chr{c}" for c in [*range(1, 23), "X", "Y", "M"]}
