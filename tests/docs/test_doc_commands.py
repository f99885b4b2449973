"""Issue 12 item 6: every ``priorgraph …`` command of README.md and docs/*.md parses as written.

Each command line of a ``bash`` block goes through bash (quoting, ``$(…)``, ``set -u``) and then
through the real click command tree (:mod:`doc_commands`): a renamed command or option, a
``[--optional]`` bracket left in a command, or a wrong choice fails here without running
anything. Commands that need a real server or the network (``server start/stop``, ``browser``,
``embed`` with OpenAI, the Docker lines) are covered by this check only; the data path is run
end to end in ``test_readme_run.py``.
"""

from __future__ import annotations

import click
import doc_commands  # tests/docs/conftest.py
import pytest

COMMANDS = doc_commands.doc_commands()


def test_the_docs_show_the_commands_this_test_checks():
    per_doc: dict[str, int] = {}
    for line in COMMANDS:
        per_doc[line.doc] = per_doc.get(line.doc, 0) + 1
    assert per_doc["README.md"] >= 25
    for doc in ("go", "peaks", "perturbseq", "genept", "queries", "models", "musegnn"):
        assert per_doc[f"docs/{doc}.md"] >= 2, doc


@pytest.mark.parametrize("line", COMMANDS, ids=[line.where for line in COMMANDS])
def test_each_documented_command_parses(line):
    calls = doc_commands.bash_argv(line)
    assert calls, f"{line.where}: bash made no priorgraph call of `{line.text}`"
    for argv in calls:
        try:
            doc_commands.check_argv(argv)
        except click.UsageError as err:
            raise AssertionError(f"{line.where}: `{line.text}`: {err.format_message()}") from err


def doc_line(text: str) -> object:
    return doc_commands.DocLine("made-up.md", 1, text)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("priorgraph stats --colour red", "No such option '--colour'"),
        ("priorgraph statistics", "no such command 'statistics'"),
        ("priorgraph ingest go --obo go.obo extra.tsv", "unexpected extra arguments: extra.tsv"),
        ("priorgraph stats --format xml", "'xml' is not one of"),
        ("priorgraph similar-genes KLF1 -k ten", "'ten' is not a valid integer"),
        ("priorgraph split create papalexi2021", "Missing argument 'NAME'"),
        ("priorgraph go-graph build --name g [--genes a.txt]", "unexpected extra arguments"),
        ("priorgraph export go-graph --out go.pt", "Missing option '--genes'"),
    ],
)
def test_the_check_catches_a_command_the_cli_does_not_take(text, problem):
    (argv,) = doc_commands.bash_argv(doc_line(text))
    with pytest.raises(click.UsageError) as caught:
        doc_commands.check_argv(argv)
    assert problem in caught.value.format_message()


def test_bash_reads_the_line_as_a_shell_does():
    line = doc_line(
        'X=1 priorgraph cypher "MATCH (g {s: \\$s}) RETURN g" -p s=A && priorgraph stats # c'
    )
    assert doc_commands.bash_argv(line) == [
        ["cypher", "MATCH (g {s: $s}) RETURN g", "-p", "s=A"],
        ["stats"],
    ]
    with pytest.raises(AssertionError, match="s: unbound variable"):
        doc_commands.bash_argv(doc_line('priorgraph cypher "MATCH (g {s: $s}) RETURN g"'))


def test_continued_lines_are_joined_and_other_lines_left_out(tmp_path, monkeypatch):
    monkeypatch.setattr(doc_commands, "ROOT", tmp_path)
    doc = tmp_path / "doc.md"
    doc.write_text(
        "```bash\nexport A=1\npriorgraph peaks links \\\n    -a hg38   # links\n```\n"
        "```python\npriorgraph.connect()\n```\n"
    )
    (line,) = doc_commands.doc_commands([doc])
    assert (line.where, line.text) == ("doc.md:3", "priorgraph peaks links      -a hg38   # links")
