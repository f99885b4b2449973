import pytest

from priorgraph.core import errors
from priorgraph.core.errors import (
    GOFileError,
    InputError,
    PeakFileError,
    PriorgraphError,
    Problem,
    Problems,
    UsageError,
)


def test_an_input_error_names_file_line_and_problem_on_one_line():
    err = PeakFileError("a.bed", "need 0 <= start < end", line=3)
    assert str(err) == "a.bed:3: need 0 <= start < end"
    assert (err.path, err.line, err.problem) == ("a.bed", 3, "need 0 <= start < end")
    assert str(PeakFileError("a.bed", "no peaks")) == "a.bed: no peaks"
    assert isinstance(err, InputError) and isinstance(err, PriorgraphError)
    assert not isinstance(err, ValueError)  # a bug's ValueError is never taken for bad input


def test_collected_problems_are_listed_below_the_headline_and_capped():
    problems = [Problem("e.csv", i, "zero vector", f"G{i}") for i in range(1, 24)]
    text = str(errors.EmbeddingFileError("e.csv", "23 problem(s), nothing written:",
                                         problems=problems))  # fmt: skip
    lines = text.splitlines()
    assert lines[0] == "e.csv: 23 problem(s), nothing written:"
    assert lines[1] == "  e.csv:1 (G1): zero vector"
    assert len(lines) == 1 + errors.MAX_LISTED + 1 and lines[-1] == "  … and 3 more"


def test_problems_raise_the_first_or_collect_them():
    with pytest.raises(GOFileError, match=r"^t.obo:4: bad$"):
        Problems("raise", error=GOFileError).add("t.obo", 4, "bad")
    skip = Problems("skip", error=GOFileError)
    skip.add("t.obo", 4, "bad")
    skip.add("t.obo", 0, "empty")
    assert [str(p) for p in skip.items] == ["t.obo:4: bad", "t.obo:0: empty"]
    with pytest.raises(UsageError, match="on_error must be"):
        Problems("ignore")


def test_every_error_class_is_a_priorgraph_error_with_a_unique_name():
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, Exception)]
    assert all(issubclass(c, PriorgraphError) for c in classes)
    assert len({c.__name__ for c in classes}) == len(classes) >= 20
