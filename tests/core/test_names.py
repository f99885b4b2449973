import pytest

from priorgraph.core.errors import UsageError
from priorgraph.core.names import check_name


@pytest.mark.parametrize("name", ["sim1", "papalexi2021", "norman.v2", "a-b_c", "X" * 128])
def test_plain_names_pass(name):
    assert check_name(name, what="split") == name


@pytest.mark.parametrize(
    "name", ["", "../../x", "a/b", "/etc/passwd", "..", ".hidden", "a\\b", "a b", "X" * 129,
             "-flag", "sim1\n"],
)  # fmt: skip
def test_paths_and_odd_names_are_refused(name):
    with pytest.raises(UsageError) as caught:
        check_name(name, what="split")
    assert str(caught.value).startswith(f"bad split name {name!r}: use 1-128 letters")
