"""The launcher's HTTP server (kg/launcher/BrowserServer.java) as a client sees it: discovery,
the Browser's files, the guide, and what it refuses (other paths, methods and Host headers)."""

import http.client
import json

import pytest

from priorgraph.kg import browser_guide


def get(port: int, path: str, *, method: str = "GET", host: str | None = None,
        headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:  # fmt: skip
    """One request with the path sent exactly as written (no client-side normalisation)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    conn.putheader("Host", f"127.0.0.1:{port}" if host is None else host)
    for key, value in (headers or {}).items():
        conn.putheader(key, value)
    conn.endheaders()
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


@pytest.fixture(scope="module")
def port(local_server) -> int:
    return local_server.http_port


def test_discovery_tells_the_browser_where_bolt_is(local_server, port):
    status, headers, body = get(port, "/", headers={"Accept": "application/json"})
    bolt = local_server.uri.rsplit(":", 1)[1]
    assert status == 200 and headers["content-type"] == "application/json"
    assert json.loads(body) == {
        "bolt_routing": f"neo4j://127.0.0.1:{bolt}",
        "bolt_direct": f"bolt://127.0.0.1:{bolt}",
        "neo4j_version": "5.26.30",
        "neo4j_edition": "community",
    }
    status, headers, _ = get(port, "/", headers={"Accept": "text/html,*/*;q=0.8"})
    assert (status, headers["location"]) == (303, "/browser/")


def test_the_browser_and_the_guide_are_served_with_a_strict_policy(local_server, port):
    status, headers, body = get(port, "/browser/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert b"<title>Neo4j Browser</title>" in body
    csp = headers["content-security-policy"]
    bolt = local_server.uri.rsplit(":", 1)[1]
    assert "default-src 'self'" in csp and "script-src 'self';" in csp
    assert f"ws://127.0.0.1:{bolt}" in csp and "https:" not in csp
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    status, headers, body = get(port, "/guides/priorgraph.html")
    assert status == 200 and body.decode() == browser_guide.render()
    again = get(port, "/guides/priorgraph.html", headers={"If-None-Match": headers["etag"]})
    assert again[0] == 304


@pytest.mark.parametrize(
    "path",
    [
        "/browser/../../../../etc/passwd", "/browser/%2e%2e/%2e%2e/etc/passwd",
        "/browser/..%2f..%2fetc%2fpasswd", "/META-INF/MANIFEST.MF",
        "/browser/../META-INF/MANIFEST.MF", "/PriorgraphNeo4j.class", "/browser/assets/",
        "/browser/index.html%00", "/guides/", "/guides/../password", "/guides/%2e%2e/password",
        "/password", "/db/neo4j/tx", "/db/neo4j/query/v2", "//etc/passwd",
    ],
)  # fmt: skip
def test_nothing_else_is_served(port, path):
    status, _, body = get(port, path)
    assert status in (400, 404), (path, status)
    assert b"root:" not in body


def test_only_get_and_head_and_only_for_loopback_hosts(port):
    for method in ("POST", "PUT", "DELETE", "OPTIONS", "TRACE"):
        status, headers, _ = get(port, "/browser/index.html", method=method)
        assert (status, headers["allow"]) == (405, "GET, HEAD")
    status, _, body = get(port, "/browser/", method="HEAD")
    assert (status, body) == (200, b"")
    for host in ("evil.example", "127.0.0.1.nip.io", "attacker.test:7474", ""):
        assert get(port, "/", host=host)[0] == 421, host  # DNS rebinding: refused
    for host in (f"localhost:{port}", f"[::1]:{port}", f"127.0.0.1:{port}"):
        assert get(port, "/", host=host, headers={"Accept": "application/json"})[0] == 200
