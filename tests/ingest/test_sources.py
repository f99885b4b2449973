import hashlib
import http.server
import threading
from collections.abc import Iterator
from typing import ClassVar

import pytest

from priorgraph.core.errors import SourceError
from priorgraph.ingest import sources
from priorgraph.ingest.sources import Source

PAYLOAD = b"GO:0000001\tGO:0048308\n" * 100
HTML = b"<!DOCTYPE html>\n<html><body>403 Forbidden</body></html>"


class Handler(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Handler.hits.append(self.path)
        body, ctype = {"/data.tsv": (PAYLOAD, "text/plain"), "/html.tsv": (HTML, "text/plain")}.get(
            self.path, (b"", "")
        )
        if not body:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def web() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Handler.hits.clear()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("PRIORGRAPH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PRIORGRAPH_DATA_DIR", raising=False)
    return tmp_path


def register(monkeypatch, **kwargs) -> Source:
    source = Source(**{"name": "t.src", "description": "t", "version": "1", **kwargs})
    monkeypatch.setitem(sources.REGISTRY, source.name, source)
    return source


def test_download_verifies_checksum_and_caches(web, home, monkeypatch):
    digest = hashlib.sha256(PAYLOAD).hexdigest()
    register(monkeypatch, mirror="x/data.tsv", url=f"{web}/data.tsv", sha256=digest)
    path = sources.fetch("t.src", progress=False)
    assert path == home / "home" / "downloads" / "x" / "data.tsv"
    assert path.read_bytes() == PAYLOAD
    assert sources.fetch("t.src", progress=False) == path
    assert Handler.hits == ["/data.tsv"]  # the second fetch came from the cache


def test_checksum_mismatch_is_a_clear_error_and_nothing_is_cached(web, home, monkeypatch):
    register(monkeypatch, mirror="x/data.tsv", url=f"{web}/data.tsv", sha256="0" * 64)
    with pytest.raises(SourceError, match="checksum mismatch for t.src"):
        sources.fetch("t.src", progress=False)
    assert not (home / "home" / "downloads" / "x" / "data.tsv").exists()


def test_html_page_instead_of_data_is_rejected(web, home, monkeypatch):
    register(monkeypatch, mirror="x/gene2go.pkl", url=f"{web}/html.tsv")
    with pytest.raises(SourceError, match="returned an HTML page instead of gene2go.pkl"):
        sources.fetch("t.src", progress=False)
    assert list((home / "home" / "downloads" / "x").iterdir()) == []


def test_moving_release_is_pinned_on_first_download(web, home, monkeypatch):
    source = register(monkeypatch, mirror="x/data.tsv", url=f"{web}/data.tsv")
    sources.fetch("t.src", progress=False)
    assert sources.expected_sha256(source) == hashlib.sha256(PAYLOAD).hexdigest()
    cached = home / "home" / "downloads" / "x" / "data.tsv"
    cached.write_bytes(b"changed upstream")
    with pytest.raises(SourceError, match="checksum mismatch"):
        sources.fetch("t.src", progress=False)


def test_mirror_directory_is_used_first(home, monkeypatch):
    mirror = home / "mirror"
    (mirror / "x").mkdir(parents=True)
    (mirror / "x" / "data.tsv").write_bytes(PAYLOAD)
    monkeypatch.setenv("PRIORGRAPH_DATA_DIR", str(mirror))
    register(monkeypatch, mirror="x/data.tsv", url="http://127.0.0.1:9/unreachable")
    assert sources.fetch("t.src") == mirror / "x" / "data.tsv"


def test_unreachable_url_names_the_mirror_setting(home, monkeypatch):
    register(monkeypatch, mirror="x/data.tsv", url="http://127.0.0.1:9/data.tsv")
    with pytest.raises(SourceError, match="set PRIORGRAPH_DATA_DIR"):
        sources.fetch("t.src", progress=False, timeout=2)


def test_derived_file_without_mirror_says_where_it_is_expected(home, monkeypatch):
    register(monkeypatch, mirror="go/table.tsv", origin="a GAF")
    with pytest.raises(SourceError, match="no public download location .*derived from a GAF"):
        sources.fetch("t.src")


def test_unknown_source_lists_known_ones():
    with pytest.raises(SourceError, match="unknown source 'nope'; known: .*go.basic.obo"):
        sources.get("nope")


@pytest.mark.slow
def test_registered_mirror_files_match_their_checksums(shared_data, monkeypatch):
    monkeypatch.setenv("PRIORGRAPH_DATA_DIR", str(shared_data))
    pinned = [
        s for s in sources.REGISTRY.values() if s.sha256 and (shared_data / s.mirror).is_file()
    ]
    assert len(pinned) >= 15
    for source in pinned:
        assert sources.fetch(source.name) == shared_data / source.mirror
