"""``priorgraph sources list``: every source with its mirror path, where this machine has it
and the full checksum."""

import json

from click.testing import CliRunner

from priorgraph.cli import main
from priorgraph.ingest import sources


def test_sources_list_has_a_mirror_column_and_full_checksums(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    source = sources.get("go.gene2go.human.2024")
    (mirror / source.mirror).parent.mkdir(parents=True)
    (mirror / source.mirror).write_text("gene\tgo_id\n")
    monkeypatch.setenv("PRIORGRAPH_DATA_DIR", str(mirror))
    monkeypatch.setenv("PRIORGRAPH_HOME", str(tmp_path / "home"))
    listed = CliRunner().invoke(main, ["sources", "list", "--format", "json"])
    rows = {r["name"]: r for r in json.loads(listed.output)}
    assert set(rows) == set(sources.REGISTRY)
    assert rows[source.name]["mirror"] == "go/human_gene2go_2024-02-20.tsv"
    assert rows[source.name]["local"] == "mirror" and rows["go.basic.obo"]["local"] == "no"
    assert rows[source.name]["sha256"] == source.sha256 and len(source.sha256) == 64
    table = CliRunner().invoke(main, ["sources", "list"])
    assert table.exit_code == 0 and source.sha256 in table.output and "…" not in table.output
    assert f"mirror: PRIORGRAPH_DATA_DIR={mirror}" in table.output
