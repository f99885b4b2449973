"""Neo4j Browser of the local server in a real headless browser (Debian's chromium, driven by
Playwright): the page loads with the login filled in, logs in, plays the priorgraph guide, runs
STAT1's GO neighbourhood from it and draws it, and nothing leaves the machine.

``make test`` sets ``PRIORGRAPH_REQUIRE_BROWSER=1``: then a missing chromium or Playwright fails
the test instead of skipping it (``scripts/bootstrap.sh`` installs chromium). The screenshots go
to ``out/test-artifacts/browser_*.png``.
"""

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from priorgraph.kg import browser_guide

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parents[2] / "out" / "test-artifacts"
LOOPBACK = re.compile(r"^(?:https?|wss?)://(?:127\.0\.0\.1|localhost)(?::\d+)?/")
WAIT_MS = 90_000  # generous: the Browser is a large bundle and the test machine may be busy


def require_browser() -> None:
    """Skip (or, under ``PRIORGRAPH_REQUIRE_BROWSER=1``, fail) without chromium and Playwright."""
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("Playwright (pip install -e '.[dev]')")
    if missing:
        reason = "the Neo4j Browser test needs " + " and ".join(missing)
        if os.environ.get("PRIORGRAPH_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}; PRIORGRAPH_REQUIRE_BROWSER=1 (`make test`) requires it")
        pytest.skip(reason)


@dataclass
class Tab:
    """A Playwright page, the requests it tried outside this machine (aborted) and the
    WebSockets it opened."""

    page: Any
    outside: list[str] = field(default_factory=list)
    websockets: list[str] = field(default_factory=list)


@pytest.fixture
def tab(tmp_path) -> Iterator[Tab]:
    """A page of a fresh chromium profile; every request to another host than this machine is
    recorded and aborted."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=str(CHROMIUM), headless=True,
            args=FLAGS, viewport={"width": 1400, "height": 900},
        )  # fmt: skip
        tab = Tab(context.new_page())

        def keep_local(route) -> None:
            url = route.request.url
            if LOOPBACK.match(url) or url.startswith(("data:", "blob:")):
                route.continue_()
            else:
                tab.outside.append(url)
                route.abort()

        context.route("**/*", keep_local)
        tab.page.on("websocket", lambda ws: tab.websockets.append(ws.url))
        tab.page.set_default_timeout(WAIT_MS)
        yield tab
        context.close()


def screenshot(page, name: str, capsys) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"browser_{name}.png"
    page.screenshot(path=str(path))
    with capsys.disabled():
        print(f"\nNeo4j Browser screenshot: {path}")
    return path


def run_editor(page) -> None:
    """Run what the editor holds (the ▶ button)."""
    page.click("[data-testid=editor-Run]")


def frame_of(page, command_text: str):
    """The newest result frame whose command contains ``command_text``."""
    command = page.locator("[data-testid=frameCommand]", has_text=command_text)
    return page.locator("[data-testid=frame]", has=command).first


def test_browser_logs_in_plays_the_guide_and_draws_stat1(local_server, stat1_graph, tab, capsys):
    page = tab.page
    bolt = local_server.uri.rsplit(":", 1)[1]
    page.goto(local_server.browser_url(), wait_until="domcontentloaded")
    page.wait_for_selector("[data-testid=connect]")
    # the URL `priorgraph browser` prints fills in the login form: user and Bolt address
    assert page.locator("[data-testid=username]").input_value() == "neo4j"
    assert bolt in page.locator("[data-testid=boltaddress]").input_value()
    page.fill("[data-testid=password]", local_server.read_password())
    page.click("[data-testid=connect]")

    # after login the server's post-connect command plays the priorgraph guide
    guide = frame_of(page, browser_guide.GUIDE_FILE)
    guide.locator("text=What is in the graph").wait_for()
    guide.locator("[data-testid=nextSlide]").click()
    guide.locator("text=A gene's GO neighbourhood").wait_for()
    screenshot(page, "guide", capsys)

    # click through the slide: set the parameters, then run STAT1's GO neighbourhood
    guide.locator("pre.runnable", has_text=":param {gene: 'human:STAT1', go_graph").first.click()
    page.locator("[data-testid=activeEditor]", has_text="human:STAT1").wait_for()
    run_editor(page)
    frame_of(page, ":param").locator("text=go_graph").first.wait_for()
    guide.locator("pre.runnable", has_text="collect(similar) AS neighbours").click()
    page.locator("[data-testid=activeEditor]", has_text="neighbours").wait_for()
    run_editor(page)

    result = frame_of(page, "collect(similar) AS neighbours")
    shown = result.locator("text=/Displaying \\d+ nodes?, \\d+ relationships?/")
    shown.wait_for()
    nodes, rels = map(int, re.findall(r"\d+", shown.inner_text()))
    assert nodes == 3  # STAT1, its GO term, its GO-graph neighbour STAT2
    assert rels >= 2  # ANNOTATED_WITH, GO_SIMILAR (+ STAT2's annotation, which the Browser adds)
    page.wait_for_timeout(1500)  # let the force layout settle for the screenshot
    captions = result.locator("svg text").evaluate_all("els => els.map(e => e.textContent.trim())")
    assert {"STAT1", "STAT2", "GO_SIMILAR", "ANNOTATED_WITH"} <= set(captions)
    path = screenshot(page, "go_neighbourhood", capsys)
    assert path.stat().st_size > 10_000

    # a query typed by hand, shown as a table
    page.click("[data-testid=activeEditor]")
    page.keyboard.type("MATCH (g:Gene)-[r:GO_SIMILAR]->(:Gene {symbol: 'STAT1'}) "
                       "RETURN g.symbol AS neighbour, r.version AS v ORDER BY v")  # fmt: skip
    run_editor(page)
    typed = frame_of(page, "RETURN g.symbol AS neighbour")
    typed.locator("text=STAT2").first.wait_for()
    table = typed.inner_text()
    assert table.index("JAK2") < table.index("STAT2")  # the stale build's edge b0, then b1
    screenshot(page, "typed_query", capsys)

    # everything stayed on this machine, and the Browser spoke Bolt over its WebSocket
    assert tab.outside == []
    assert any(url.startswith(f"ws://127.0.0.1:{bolt}") for url in tab.websockets)
