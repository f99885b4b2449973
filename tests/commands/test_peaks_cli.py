"""End to end through the CLI: peaks, genes, links, liftover consensus, guidance export."""

CHAIN = "chain 1000 chr1 100000 + 0 10000 chr1 100000 + 1000 11000 1\n10000\n"


def test_bad_bed_exits_with_message_and_writes_nothing(cli, graph, tmp_path):
    (tmp_path / "bad.bed").write_text("chr1\t5\t1\n")
    result = cli("peaks", "load", tmp_path / "bad.bed", "--assembly", "hg38")
    assert result.exit_code == 1
    assert "bad.bed:1: need 0 <= start < end" in result.output
    assert graph.read("MATCH (n:Peak) RETURN count(n) AS n") == [{"n": 0}]


def test_full_path(cli, graph, tmp_path):
    (tmp_path / "src.bed").write_text("chr1\t100\t600\nchr1\t5000\t5400\n")
    (tmp_path / "tgt.bed").write_text("chr1\t1150\t1650\n")
    (tmp_path / "genes.bed").write_text("chr1\t3000\t4000\tG\tENSG1\t+\tprotein_coding\n")
    (tmp_path / "hg38ToHg19.over.chain").write_text(CHAIN)
    assert cli("peaks", "load", tmp_path / "src.bed", "-a", "hg38").exit_code == 0
    assert cli("peaks", "load", tmp_path / "tgt.bed", "-a", "hg19").exit_code == 0
    genes = cli("peaks", "genes", tmp_path / "genes.bed", "-a", "hg38")
    assert "1 genes from 1 rows" in genes.output
    lifted = cli(
        "liftover",
        tmp_path / "src.bed",
        "-a",
        "hg38",
        "--chain",
        tmp_path / "hg38ToHg19.over.chain",
        "--target",
        tmp_path / "tgt.bed",
        "--target-assembly",
        "hg19",
        "--write",
        "--out",
        tmp_path / "lifted.bed",
    )
    assert lifted.exit_code == 0, lifted.output
    assert "2 peaks through hg38ToHg19: mapped 2" in lifted.output
    assert "1 consensus pairs" in lifted.output and "LIFTS_TO: 1 created" in lifted.output
    links = cli("peaks", "links", "-a", "hg38", "--conserved-boost", "2")
    assert "window_combined_150kb: 2 links between 2 peaks and 1 genes" in links.output
    query = cli(
        "query",
        "peaks_conserved_for_gene",
        "-p",
        "species=human",
        "-p",
        "symbol=G",
        "-p",
        "methods=null",
        "--format",
        "csv",
    )
    lines = query.output.splitlines()
    assert lines[0].startswith("peak,method,distance,weight")
    assert lines[1].startswith("hg38:chr1:100-600,window_combined_150kb,401,1.0,1,")
    out = tmp_path / "export"
    exported = cli("guidance", "export", "-a", "hg38", "--out", out)
    assert exported.exit_code == 0, exported.output
    assert "3 nodes, 7 edges" in exported.output  # 2 links x (fwd + rev) + 3 loops
    valid = cli("guidance", "validate", out / "guidance.graphml.gz")
    assert valid.output.strip() == "valid: 3 nodes, 7 edges"
    (tmp_path / "far.bed").write_text("chr1\t50000\t50500\n")
    wrong = cli(
        "liftover",
        tmp_path / "far.bed",
        "-a",
        "hg38",
        "--chain",
        tmp_path / "hg38ToHg19.over.chain",
    )
    assert wrong.exit_code == 1 and "only 0 of 1 peaks (0.0%) mapped" in wrong.output
