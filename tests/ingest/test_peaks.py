"""Peak files: validation, naming, unsorted input, narrowPeak, Peak nodes (tiny hand-made BEDs)."""

from pathlib import Path

import pytest

from priorgraph.core.errors import PeakFileError, UsageError
from priorgraph.ingest.peaks import read_peaks, write_peaks
from priorgraph.kg.writer import Provenance

PROV = Provenance("test.peaks", "v1")


def bed(tmp_path: Path, text: str, name: str = "peaks.bed") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_valid_bed_is_read_sorted_with_ids(tmp_path):
    path = bed(tmp_path, "track name=x\nchr1\t100\t600\nchr1\t1000\t1500\tp2\nchr2\t5\t50\n")
    peaks = read_peaks(path, "hg38")
    assert peaks.ids == ["hg38:chr1:100-600", "hg38:chr1:1000-1500", "hg38:chr2:5-50"]
    assert peaks.report.sorted and peaks.report.lines == 3 and peaks.report.peaks == 3
    row = next(peaks.rows())
    assert row == {
        "id": "hg38:chr1:100-600",
        "species": "human",
        "assembly": "hg38",
        "chrom": "chr1",
        "start": 100,
        "end": 600,
    }


def test_ensembl_names_are_normalised_or_rejected(tmp_path):
    path = bed(tmp_path, "1\t100\t600\nX\t10\t20\nMT\t1\t9\n")
    peaks = read_peaks(path, "hg38")
    assert peaks.ids == ["hg38:chr1:100-600", "hg38:chrM:1-9", "hg38:chrX:10-20"]
    assert peaks.report.renamed == 3
    with pytest.raises(PeakFileError, match=r"peaks.bed:1: chromosome '1' is not UCSC style"):
        read_peaks(path, "hg38", normalise=False)


def test_malformed_lines_are_all_reported_with_file_and_line(tmp_path):
    path = bed(tmp_path, "chr1\t100\t600\nchr1\tabc\t600\nchr1\t700\t700\nchr1\t5\n")
    with pytest.raises(PeakFileError) as err:
        read_peaks(path, "hg38")
    text = str(err.value)
    assert "3 problem(s) in 4 lines, nothing written" in text
    assert "peaks.bed:2: start/end are not integers: 'abc', '600'" in text
    assert "peaks.bed:3: need 0 <= start < end, got start=700 end=700" in text
    assert "peaks.bed:4: 2 tab-separated field(s), expected at least 3" in text


def test_unknown_contigs_fail_with_counts_or_are_skipped(tmp_path):
    path = bed(tmp_path, "chr1\t1\t9\nGL000219.1\t5\t9\nGL000219.1\t15\t19\nKI270713.1\t1\t4\n")
    with pytest.raises(PeakFileError, match=r"3 peaks on 2 contig\(s\) that are not hg38") as e:
        read_peaks(path, "hg38")
    assert "GL000219.1 (2, first at line 2)" in str(e.value)
    peaks = read_peaks(path, "hg38", unknown_contigs="skip")
    assert peaks.ids == ["hg38:chr1:1-9"]
    assert peaks.report.skipped_contigs == {"GL000219.1": 2, "KI270713.1": 1}


def test_unsorted_input_is_detected_and_sorted(tmp_path):
    path = bed(tmp_path, "chr1\t500\t600\nchr1\t100\t200\nchr2\t1\t5\nchr1\t900\t950\n")
    peaks = read_peaks(path, "hg38")
    assert peaks.report.out_of_order == 2 and peaks.report.first_out_of_order == 2
    assert "unsorted input (2 lines out of order, first at line 2)" in peaks.report.summary()
    assert peaks.df["start"].tolist() == [100, 500, 900, 1]


def test_duplicates_are_dropped_and_counted(tmp_path):
    peaks = read_peaks(bed(tmp_path, "chr1\t1\t9\nchr1\t1\t9\n"), "hg38")
    assert peaks.report.duplicates == 1 and len(peaks.df) == 1


def test_narrowpeak_fields_become_properties(tmp_path):
    path = bed(tmp_path, "chr1\t100\t600\tpk1\t850\t.\t12.5\t8.1\t6.2\t250\n", "x.narrowPeak")
    row = next(read_peaks(path, "hg38").rows())
    assert (row["name"], row["score"], row["signal"], row["summit"]) == ("pk1", 850, 12.5, 250)
    bad = bed(tmp_path, "chr1\t100\t600\tpk1\t850\n", "y.narrowPeak")
    with pytest.raises(PeakFileError, match="expected at least 10"):
        read_peaks(bad, "hg38")


def test_unknown_assembly_is_refused(tmp_path):
    with pytest.raises(UsageError, match="unknown assembly 'hg37'"):
        read_peaks(bed(tmp_path, "chr1\t1\t9\n"), "hg37")


def test_write_peaks_is_idempotent_with_provenance(graph, tmp_path):
    peaks = read_peaks(bed(tmp_path, "chr1\t100\t600\nchr2\t5\t50\n"), "hg38")
    first = write_peaks(graph, peaks, PROV, progress=False)
    again = write_peaks(graph, peaks, PROV, progress=False)
    assert (first.nodes_created, again.nodes_created) == (2, 0)
    rows = graph.read(
        "MATCH (p:Peak) RETURN p.id AS id, p.end AS end, p.source AS source ORDER BY id"
    )
    assert rows == [
        {"id": "hg38:chr1:100-600", "end": 600, "source": "test.peaks"},
        {"id": "hg38:chr2:5-50", "end": 50, "source": "test.peaks"},
    ]


@pytest.mark.slow
def test_real_pbmc_peaks(shared_data):
    path = shared_data / "peaks" / "pbmc10k_multiome_atac_peaks_hg38.bed"
    with pytest.raises(PeakFileError, match="28 peaks on 8 contig"):
        read_peaks(path, "hg38")
    peaks = read_peaks(path, "hg38", unknown_contigs="skip")
    assert peaks.report.lines == 63_751 and peaks.report.peaks == 63_723
    assert peaks.report.skipped_contigs["GL000219.1"] == 8
