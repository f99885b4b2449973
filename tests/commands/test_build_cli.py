"""``priorgraph build`` from the command line."""

from ..ingest.test_build import write_plan


def test_build_with_neo4j_uri_set_prints_the_import_command_and_writes_nothing(
    cli, graph, tmp_path
):
    write_plan(tmp_path)

    result = cli("build", tmp_path / "plan.toml", "--dir", tmp_path / "out")

    assert result.exit_code == 0, result.output
    lines = result.output[result.output.index("build: ") :].strip().splitlines()
    assert lines[0].startswith("build: 69 nodes, 172 relationships")
    assert "NEO4J_URI is set" in lines[0]
    assert lines[1].startswith("neo4j-admin database import full --nodes=Dataset=")
    assert lines[2] == (
        "then create the vector index gene_genept: its statement and parameters are in "
        "--report FILE (files.indexes)"
    )
    assert (tmp_path / "out" / "csv" / "nodes_GOTerm.csv.gz").is_file()
    assert graph.read("MATCH (n) RETURN count(n) AS n") == [{"n": 0}]


def test_a_bad_plan_is_one_line(cli, tmp_path):
    (tmp_path / "plan.toml").write_text("[[go]]\nobo = 'missing.obo'\n")
    result = cli("build", tmp_path / "plan.toml")
    assert result.exit_code == 1
    assert result.output.strip().endswith(
        "missing.obo: no such file (relative to the plan) or source"
    )
    assert "Traceback" not in result.output
