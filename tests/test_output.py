"""Tables, CSV and JSON of priorgraph/output.py: nothing cut, numbers rounded, "0 rows"."""

import io
import json

import pytest
from rich.console import Console

from priorgraph.kg.connection import Rows
from priorgraph.output import EMPTY, print_table, render, rounded

ID = "human:ENSG00000115415-A-VERY-LONG-IDENTIFIER-THAT-MUST-NOT-BE-CUT"
DESCRIPTION = "the GO-graph neighbours of a gene, by rank, with the names of shared terms " * 2
ROWS = [
    {"id": ID, "description": DESCRIPTION, "jaccard": 0.6666666666666666, "count": 1234567},
    {"id": "human:STAT1", "description": "short", "jaccard": 1.5e-7, "count": None},
]


def column_text(text: str, index: int) -> str:
    """The words of column ``index`` of a rendered table, read down its lines."""
    header = next(line for line in text.splitlines() if line.startswith("┃"))
    bars = [i for i, ch in enumerate(header) if ch == "┃"]
    start, end = bars[index] + 1, bars[index + 1]
    body = [line for line in text.splitlines() if line.startswith("│")]
    return " ".join(" ".join(line[start:end] for line in body).split())


def table(rows, *, width: int, terminal: bool) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=terminal, color_system=None)
    print_table(rows, console=console)
    return out.getvalue()


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.6666666666666666, "0.667"), (12345.678, "12300"), (-0.0012345, "-0.00123"),
     (1.5e-07, "1.5e-07"), (2.0, "2"), (0.0, "0"), (float("nan"), "nan"), (999.5, "1000")],
)  # fmt: skip
def test_rounded_keeps_three_significant_digits_without_exponents_for_large(value, text):
    assert rounded(value) == text


def test_piped_table_keeps_rows_whole_up_to_160_columns_and_cuts_nothing():
    short = [{**row, "description": row["description"][:40]} for row in ROWS]
    text = table(short, width=80, terminal=False)  # a pipe: rich would assume 80 columns
    lines = text.splitlines()
    assert len(lines) == 2 + 1 + 2 + 1  # top border, header, rule, two rows, bottom border
    assert ID in lines[3] and short[0]["description"].strip() in lines[3] and "…" not in text
    assert "0.667" in lines[3] and "1234567" in lines[3] and "1.5e-07" in lines[4]
    assert "0.6666666666666666" not in text
    long = table(ROWS, width=80, terminal=False)  # free text beyond 160 columns wraps
    assert max(map(len, long.splitlines())) == 160 and ID in long and "…" not in long
    assert column_text(long, 1) == " ".join(f"{DESCRIPTION} short".split())


def test_terminal_table_wraps_free_text_but_not_ids():
    rows = [{"query": "go_neighbours", "description": DESCRIPTION}]
    text = table(rows, width=60, terminal=True)
    assert all(len(line) <= 60 for line in text.splitlines())
    assert "go_neighbours" in text and "…" not in text
    assert column_text(text, 1) == " ".join(DESCRIPTION.split())


def test_narrow_terminal_prints_each_row_as_a_block():
    text = table(ROWS, width=50, terminal=True)
    assert "…" not in text and ID in "".join(text.split())  # an id wider than 50 folds, whole
    assert text.splitlines()[0].startswith("row 1 ─")
    assert "jaccard      0.667" in text and "row 2" in text


def test_empty_result_says_zero_rows_and_csv_keeps_the_header():
    assert table([], width=80, terminal=False).strip() == EMPTY == "0 rows"
    empty = Rows([], ["gene", "delta"])  # what Graph.read returns for no row
    assert render(empty, "csv") == "gene,delta"
    assert render(empty, "json") == "[]"


def test_csv_and_json_keep_full_precision():
    csv_text = render(ROWS, "csv")
    assert "0.6666666666666666" in csv_text and "1.5e-07" in csv_text
    assert json.loads(render(ROWS, "json"))[0]["jaccard"] == 0.6666666666666666
    nested = render([{"v": [0.123456, 2.0]}], "csv")
    assert nested.splitlines()[1] == '"[0.123456, 2.0]"'
    assert "[0.123, 2]" in table([{"v": [0.123456, 2.0]}], width=80, terminal=False)


def test_a_long_word_in_free_text_is_never_broken():
    url = "https://purl.obolibrary.org/obo/go/go-basic.obo"  # mixed with text in one column
    rows = [{"sha256": "a" * 64, "url": url}, {"sha256": "pinned at first download", "url": "x"}]
    text = table(rows, width=80, terminal=False)
    assert "a" * 64 in text and url in text and "…" not in text
