"""Issue 15: "the README's own GO command fails with the default ``--on-error raise``".

The registered GO release (the mirror's ``go_basic_2024-02_isa_only.obo``) writes six relations
(``part_of``, ``regulates``, …) as ``[Term]`` stanzas; they are no GO terms and no problem, so
the README's command, as written and with the default options, reads and checks the whole
release without an error. (Writing it all needs a 3g server heap, more than the test server
has: the test runs the command's reading and checking, which is where it failed.)
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from priorgraph.commands.go import ingest_go
from priorgraph.ingest import go
from priorgraph.ingest import sources as registry

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_go_command() -> list[str]:
    """The arguments of the README's ``priorgraph ingest go`` line, after ``ingest go``."""
    line = next(t for t in README.read_text().splitlines() if t.startswith("priorgraph ingest go"))
    return shlex.split(line.split("#")[0])[3:]


@pytest.mark.slow
def test_the_readme_go_command_reads_the_registered_release_with_default_options(
    shared_data, monkeypatch, tmp_path
):
    monkeypatch.setenv("PRIORGRAPH_DATA_DIR", str(shared_data))
    monkeypatch.setenv("PRIORGRAPH_HOME", str(tmp_path))
    params = ingest_go.make_context("go", readme_go_command()).params
    assert params["on_error"] == "raise"  # the README relies on the defaults
    problems = go.go_problems(params["on_error"])
    ontology = go.read_obo(registry.resolve(params["obo"]).path, problems)
    table = go.read_table(registry.resolve(params["table"]).path, problems)
    report = go.GOIngestReport()
    kept = go.resolve(table, go.TermIndex.from_ontology(ontology), problems, report)
    assert (len(ontology.terms), len(kept), problems.items) == (47_729, 252_037, [])
    assert ontology.non_go == [
        "has_ontology_root_term", "negatively_regulates", "part_of", "positively_regulates",
        "regulates", "term_tracker_item",
    ]  # fmt: skip
    assert all(term.startswith("GO:") for term in ontology.terms)
