"""End to end through the CLI: peaks, genes, links, liftover consensus, guidance export."""

import gzip

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
    genes = cli("peaks", "genes", tmp_path / "genes.bed", "-a", "hg38", "--gene-reference", "none")
    assert "1 genes from 1 rows" in genes.output
    assert "hg38: 1 gene loci" in genes.output
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
        "assembly=hg38",
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


def test_gene_names_are_resolved_on_the_command_line(cli, graph, tmp_path):
    """A renamed gene in an annotation, a feature list and a gene list; one-line errors."""
    (tmp_path / "genes.tsv").write_text(
        "ensgene\tsymbol\tchr\tstart\tend\tstrand\tbiotype\n"
        "ENSG00000165406\tMARCHF8\t10\t1000001\t1010000\t-1\tprotein_coding\n"
    )
    (tmp_path / "old.gtf").write_text(
        '10\tHAVANA\tgene\t2000001\t2010000\t.\t-\t.\tgene_id "ENSG00000165406.14"; '
        'gene_name "MARCH8";\n'
    )
    reference = ["--gene-reference", tmp_path / "genes.tsv"]
    assert cli("peaks", "genes", tmp_path / "genes.tsv", "-a", "hg38", *reference).exit_code == 0
    old = cli("peaks", "genes", tmp_path / "old.gtf", "-a", "hg19", *reference)
    assert old.exit_code == 0, old.output
    assert "names: 1 renamed (MARCH8 → MARCHF8)" in old.output
    (tmp_path / "p.bed").write_text("chr10\t1012000\t1012500\n")
    cli("peaks", "load", tmp_path / "p.bed", "-a", "hg38")
    cli("peaks", "links", "-a", "hg38")
    (tmp_path / "var.txt").write_text("ENSG00000165406.14\nchr10:1012000-1012500\nNOTAGENE7\n")
    export = ["guidance", "export", "-a", "hg38", "--out", tmp_path / "out", "--features",
              tmp_path / "var.txt", *reference]  # fmt: skip
    refused = cli(*export)
    assert refused.exit_code == 1
    assert refused.output.strip().endswith(
        "features: 1 gene name(s) of human not found: NOTAGENE7; check them, or pass "
        "unknown_genes='warn' (--unknown-genes warn) to go on with them left out of the graph"
    )
    done = cli(*export, "--unknown-genes", "warn")
    assert done.exit_code == 0, done.output
    assert "1 renamed (ENSG00000165406.14 → MARCHF8); 1 unknown (NOTAGENE7)" in done.output
    assert "2 nodes, 4 edges" in done.output  # the gene (named as the feature) and the peak
    graphml = (tmp_path / "out" / "guidance.graphml.gz").read_bytes()
    assert b'<node id="ENSG00000165406.14" />' in gzip.decompress(graphml)
    (tmp_path / "bad.gtf").write_text('10\tx\tgene\t1\t9\t.\t+\t.\tgene_name "G";\n')
    bad = cli("peaks", "genes", tmp_path / "bad.gtf", "-a", "hg38", *reference)
    assert bad.exit_code == 1
    assert bad.output.strip() == f"Error: {tmp_path / 'bad.gtf'}:1: gene row without gene_id"


def test_a_chain_for_other_assemblies_is_refused(cli, tmp_path):
    (tmp_path / "src.bed").write_text("chr1\t100\t600\n")
    (tmp_path / "hg19ToHg38.over.chain").write_text(CHAIN)
    wrong = cli("liftover", tmp_path / "src.bed", "-a", "hg38", "--chain",
                tmp_path / "hg19ToHg38.over.chain")  # fmt: skip
    assert wrong.exit_code == 1
    assert "this chain lifts from hg19 (by its file name), not hg38" in wrong.output
