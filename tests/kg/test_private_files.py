import os

import pytest

from priorgraph.kg.private_files import make_private, open_private_log, write_private


def mode(path) -> int:
    return os.lstat(path).st_mode & 0o777


def test_a_secret_is_written_0600_even_over_a_readable_file(tmp_path):
    secret = tmp_path / "new" / "password"
    write_private(secret, "s3cret\n")
    assert secret.read_text() == "s3cret\n"
    assert (mode(secret), mode(secret.parent)) == (0o600, 0o700)
    secret.chmod(0o644)
    write_private(secret, "other\n")
    assert (secret.read_text(), mode(secret)) == ("other\n", 0o600)
    assert sorted(p.name for p in secret.parent.iterdir()) == ["password"]  # no temporary left


def test_a_secret_never_goes_through_a_planted_link(tmp_path):
    target = tmp_path / "elsewhere"
    target.write_text("untouched")
    target.chmod(0o644)
    link = tmp_path / "password"
    link.symlink_to(target)
    write_private(link, "s3cret")
    assert target.read_text() == "untouched" and mode(target) == 0o644
    assert not link.is_symlink() and link.read_text() == "s3cret" and mode(link) == 0o600


def test_a_log_is_created_0600(tmp_path):
    log = tmp_path / "launcher.log"
    log.write_text("old")
    log.chmod(0o644)
    with open_private_log(log) as handle:
        handle.write("new")
    assert (log.read_text(), mode(log)) == ("new", 0o600)


def test_make_private_strips_group_and_other_bits_and_leaves_links(tmp_path):
    root = tmp_path / "server"
    (root / "dbms" / "data").mkdir(parents=True)
    (root / "password").write_text("x")
    (root / "dbms" / "data" / "store").write_text("x")
    outside = tmp_path / "outside"
    outside.write_text("x")
    (root / "link").symlink_to(outside)
    for path, bits in [
        (root, 0o755),
        (root / "dbms", 0o775),
        (root / "dbms" / "data", 0o750),
        (root / "password", 0o644),
        (root / "dbms" / "data" / "store", 0o666),
        (outside, 0o644),
    ]:
        path.chmod(bits)
    assert make_private(root) == 5
    assert {
        p.relative_to(root).as_posix(): mode(p)
        for p in [root, *root.rglob("*")]
        if not p.is_symlink()
    } == {
        ".": 0o700,
        "dbms": 0o700,
        "dbms/data": 0o700,
        "password": 0o600,
        "dbms/data/store": 0o600,
    }
    assert mode(outside) == 0o644  # a link's target is not ours to change
    assert make_private(root) == 0  # nothing left to do


@pytest.mark.parametrize("bits", [0o700, 0o500])
def test_make_private_keeps_tighter_owner_bits(tmp_path, bits):
    (tmp_path / "d").mkdir()
    (tmp_path / "d").chmod(bits)
    make_private(tmp_path)
    assert mode(tmp_path / "d") == bits
