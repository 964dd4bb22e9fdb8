"""The explorer and the documentation pages in headless Chromium: what a person sees, with no internet.

These run on SQLite only: they test the pages, not the database (the API's own tests run on both
backends, and the pages read through the same query layer). One server (uvicorn in a thread, over a
SQLite file loaded with the seeds) and one browser serve the whole module; each test has a new browser
context whose page records console errors and blocks, and records, every request to another origin.
"""

import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, ViewportSize, sync_playwright

from api.auth.keys import create_key
from api.db.engine import make_engine, write_session
from api.settings import Settings
from tests.browser import (
    PAGES,
    WatchedPage,
    get,
    launch,
    page_paths,
    seeded_irkutsk,
    seeded_server,
    skip_without_chromium,
)
from tests.helpers.bundles import bundle

pytestmark = skip_without_chromium()

PHONE: ViewportSize = {"width": 375, "height": 740}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of laborwatch served on a free port over a freshly seeded SQLite file."""
    with seeded_server(tmp_path_factory.mktemp("browser")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the module."""
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


def watched(browser: Browser, base: str, viewport: ViewportSize) -> Iterator[WatchedPage]:
    context = browser.new_context(viewport=viewport)
    yield WatchedPage(context.new_page(), base)
    context.close()


@pytest.fixture
def page(browser: Browser, base: str) -> Iterator[WatchedPage]:
    """A watched page in a desktop-sized window."""
    yield from watched(browser, base, DESKTOP)


@pytest.fixture
def phone(browser: Browser, base: str) -> Iterator[WatchedPage]:
    """A watched page 375 px wide, as on a phone."""
    yield from watched(browser, base, PHONE)


@pytest.fixture(scope="module")
def irkutsk(base: str) -> dict[str, Any]:
    """The seeded Irkutsk facility, as the API gives it."""
    return seeded_irkutsk(base)


@pytest.fixture(scope="module")
def paths(base: str) -> dict[str, str]:
    """Each explorer page's path, by name."""
    return page_paths(base)


def facility_ids(hrefs: list[str]) -> set[str]:
    """The facility ids that links to facility pages name."""
    return {m.group(1) for href in hrefs if (m := re.search(r"/facilities/([^/?#]+)$", href))}


def test_the_page_blocks_and_reports_other_origins_and_console_errors(page: WatchedPage) -> None:
    # Another origin on loopback (another address, another port): what the watched page must stop.
    elsewhere = "http://127.0.0.2:9/pixel.png"
    html = f'<!doctype html><img src="{elsewhere}" alt=""><script>console.error("from the page")</script>'
    page.page.route(
        page.base + "/__harness__", lambda route: route.fulfill(body=html, content_type="text/html")
    )
    page.open("/__harness__")
    assert page.outside_requests == [elsewhere]
    assert any("from the page" in error for error in page.console_errors), page.console_errors
    with pytest.raises(AssertionError, match=re.escape(elsewhere)):
        page.no_outside_requests()
    with pytest.raises(AssertionError, match="from the page"):
        page.no_console_errors()


def test_docs_render_offline(page: WatchedPage, base: str) -> None:
    page.open("/docs")
    page.page.wait_for_selector(".opblock")
    operations = sum(
        1
        for methods in get(base, "/openapi.json")["paths"].values()
        for method in methods
        if method in {"get", "post", "put", "patch", "delete"}
    )
    assert page.page.locator(".opblock").count() == operations
    page.no_console_errors()
    page.no_outside_requests()
    # No axe check here: Swagger UI's own markup has serious violations this project cannot fix without
    # forking it (the contrast of its method badges, buttons nested in its operation summaries).


def test_redoc_renders_offline(page: WatchedPage, base: str) -> None:
    page.open("/redoc")
    menu = page.page.locator(".menu-content")
    menu.wait_for()
    tags = {
        tag
        for methods in get(base, "/openapi.json")["paths"].values()
        for op in methods.values()
        for tag in op.get("tags", [])
    }
    assert tags
    for tag in tags:
        assert menu.get_by_text(tag, exact=True).count() >= 1, tag
    page.no_console_errors()
    page.no_outside_requests()
    page.axe_clean()


@pytest.mark.parametrize("name", PAGES)
def test_each_page_loads_with_no_error_nothing_from_outside_and_no_serious_axe_violation(
    page: WatchedPage, paths: dict[str, str], name: str
) -> None:
    page.open(paths[name])
    page.no_console_errors()
    page.no_outside_requests()
    page.axe_clean()


def test_the_map_marks_every_located_facility(page: WatchedPage, base: str) -> None:
    located = {feature["id"] for feature in get(base, "/v1/facilities", format="geojson")["features"]}
    assert located
    page.open("/")
    map_ = page.page.locator("#map")
    map_.wait_for()
    page.page.wait_for_function("() => document.querySelector('#map .lw-marker, #map[data-located-count]')")
    marked = page.page.eval_on_selector_all(
        "#map .lw-marker[data-facility-id]", "marks => marks.map(m => m.dataset.facilityId)"
    )
    if marked:
        assert set(marked) == located
    else:
        assert map_.get_attribute("data-located-count") == str(len(located))
    page.no_console_errors()


def test_a_link_from_the_overview_reaches_the_irkutsk_facility_with_its_figure_and_quote(
    page: WatchedPage, base: str, irkutsk: dict[str, Any]
) -> None:
    (claim,) = [
        c
        for c in get(base, f"/v1/facilities/{irkutsk['id']}/claims")["items"]
        if c["predicate"] == "worker_count"
    ]
    page.open("/")
    link = page.page.locator(f'a[href$="/facilities/{irkutsk["id"]}"]').first
    link.click()
    page.page.wait_for_url(f"**/facilities/{irkutsk['id']}")
    figure = page.page.locator("#current-figure")
    assert re.search(r"\b70\b", figure.inner_text()), figure.inner_text()
    text = " ".join(page.page.locator("body").inner_text().split())
    assert " ".join(claim["quote"].split()) in text
    page.no_console_errors()


def test_the_reader_highlights_every_claim_span_of_the_seed_report(
    page: WatchedPage, base: str, paths: dict[str, str]
) -> None:
    report_id = paths["report"].rsplit("/", 1)[1]
    body = get(base, f"/v1/reports/{report_id}")["body"]
    claims = get(base, f"/v1/reports/{report_id}/claims", limit=100)["items"]
    assert claims
    for claim in claims:
        assert body[claim["span"]["start"] : claim["span"]["end"]] == claim["quote"]
    page.open(paths["report"])
    highlighted: dict[str, str] = defaultdict(str)
    for claim_id, text in page.page.eval_on_selector_all(
        "mark.claim[data-claim-id]", "marks => marks.map(m => [m.dataset.claimId, m.textContent])"
    ):
        highlighted[claim_id] += text
    assert dict(highlighted) == {claim["id"]: claim["quote"] for claim in claims}


def test_a_filter_narrows_the_table(page: WatchedPage, base: str, irkutsk: dict[str, Any]) -> None:
    page.open("/facilities")
    rows = page.page.locator("table#facilities tbody tr")
    everything = rows.count()
    country = irkutsk["country"]
    expected = {item["id"] for item in get(base, "/v1/facilities", country=country, limit=100)["items"]}
    assert 0 < len(expected) < everything
    field = page.page.locator("form#filters [name=country]")
    if field.evaluate("f => f.tagName") == "SELECT":
        field.select_option(country)
    else:
        field.fill(country)
    with page.page.expect_navigation():
        page.page.locator("form#filters [type=submit]").first.click()
    assert rows.count() == len(expected)
    shown = page.page.eval_on_selector_all(
        "table#facilities tbody tr a[href*='/facilities/']", "links => links.map(a => a.getAttribute('href'))"
    )
    assert facility_ids(shown) == expected
    page.no_console_errors()


@pytest.mark.parametrize("name", [*PAGES, "/docs", "/redoc"])
def test_no_page_scrolls_sideways_at_phone_width(
    phone: WatchedPage, paths: dict[str, str], name: str
) -> None:
    phone.open(paths.get(name, name))
    widths = phone.page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{name}: {widths[0]} px of content in a {widths[1]} px window"


# An element's outline and box shadow, as drawn now.
RING = """element => {
    const style = getComputedStyle(element);
    return {
        ring: [style.outlineStyle, style.outlineWidth, style.outlineColor, style.boxShadow].join(" "),
        outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
        shadow: style.boxShadow !== 'none',
        text: element.textContent.trim(),
    };
}"""


def test_tab_reaches_a_link_and_its_focus_is_visible(page: WatchedPage) -> None:
    page.open("/")
    for _ in range(10):
        page.page.keyboard.press("Tab")
        if page.page.evaluate("() => document.activeElement?.tagName") == "A":
            break
    else:
        pytest.fail("ten presses of Tab reached no link")
    link = page.page.evaluate_handle("() => document.activeElement").as_element()
    assert link is not None
    assert link.evaluate("element => element.matches(':focus-visible')")
    focused = link.evaluate(RING)
    link.evaluate("element => element.blur()")
    unfocused = link.evaluate(RING)
    assert focused["ring"] != unfocused["ring"], f"the link {focused['text']!r} looks the same focused or not"
    assert focused["outline"] or focused["shadow"], f"the focused link shows no outline or ring: {focused}"


HOSTILE = 'OOO "Stroy" \' onmouseover="alert(1)" <img src=x onerror=alert(2)>'


def test_names_from_the_data_stay_text_in_the_map_and_the_reader(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Quotes, apostrophes and markup in a facility's name and city are shown as written, never run."""
    folder = tmp_path_factory.mktemp("hostile")
    with seeded_server(folder) as url:
        engine = make_engine(Settings(database_url=f"sqlite:///{folder / 'laborwatch.db'}"))
        with write_session(engine) as session:
            key = create_key(session, "hostile")
        engine.dispose()
        hostile = bundle()
        hostile["facilities"][0] |= {"name": HOSTILE, "city": HOSTILE}
        written = httpx.post(f"{url}/v1/reports", json=hostile, headers={"Authorization": f"Bearer {key}"})
        assert written.status_code == 201, written.text
        for page in watched(browser, url, DESKTOP):
            page.open("/")
            page.page.wait_for_selector("#map[data-ready='true']")
            page.page.evaluate("() => document.getElementById('map').lwClusters.disableClustering?.()")
            attributes = page.page.eval_on_selector_all(
                "#map .lw-marker", "marks => marks.map(m => m.getAttributeNames().sort())"
            )
            assert attributes
            assert all(
                names == ["aria-label", "class", "data-facility-id", "href", "title"] for names in attributes
            )
            labels = page.page.eval_on_selector_all(
                "#map .lw-marker", "marks => marks.map(m => m.getAttribute('aria-label'))"
            )
            assert any(label.startswith(HOSTILE) for label in labels)
            page.open(f"/facilities/{hostile['facilities'][0]['id']}")
            assert page.page.locator("h1").inner_text() == HOSTILE
            page.no_console_errors()


# What a newcomer checked on a phone (390 px) and a laptop (1280 px): nothing cut, nothing hidden sideways.

NARROW: ViewportSize = {"width": 390, "height": 844}
WIDTHS = {"390": NARROW, "1280": DESKTOP}
DATED_REPORT = "khabarovsk-workshop"
SEED_REPORT = "dailynk-garment-orders-russia"
ORIGINAL_URL = "https://news.example.org/khabarovsk-workshop"

# Every element whose content is wider than its box (its scroll width beyond its client width), the map
# and the SVG charts' insides left out (Leaflet's panes are meant to be larger than the map).
OVERFLOWING = """() => {
    // Text kept for screen readers only (a 1 px box, as a table's headings in card form) is not shown.
    const visuallyHidden = element => {
        for (let box = element; box; box = box.parentElement) {
            const rect = box.getBoundingClientRect();
            if (rect.width <= 1 && rect.height <= 1) { return true; }
        }
        return false;
    };
    const found = [];
    for (const element of document.querySelectorAll("body *")) {
        if (element.closest("#map, svg") || visuallyHidden(element)) { continue; }
        const style = getComputedStyle(element);
        if (["none", "inline", "contents"].includes(style.display) || element.clientWidth === 0) { continue; }
        if (element.scrollWidth > element.clientWidth + 1) {
            const name = element.tagName.toLowerCase() + (element.id ? "#" + element.id : "")
                + (typeof element.className === "string" && element.className.trim()
                    ? "." + element.className.trim().split(/\\s+/).join(".") : "");
            found.push(`${name}: ${element.scrollWidth} px in ${element.clientWidth} px:`
                + ` ${element.textContent.trim().replace(/\\s+/g, " ").slice(0, 80)}`);
        }
    }
    return found;
}"""

# Every date written in the page's text (YYYY-MM-DD) that the browser laid out on more than one line.
BROKEN_DATES = """() => {
    const broken = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (node.parentElement.closest("script, style, svg, #map")) { continue; }
        for (const match of node.data.matchAll(/\\d{4}-\\d{2}-\\d{2}/g)) {
            const range = document.createRange();
            range.setStart(node, match.index);
            range.setEnd(node, match.index + match[0].length);
            const rects = [...range.getClientRects()].filter(r => r.width > 0);
            const tops = new Set(rects.map(r => Math.round(r.top)));
            if (tops.size > 1) { broken.push(match[0]); }
        }
    }
    return broken;
}"""


@pytest.fixture(scope="module")
def dated(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server over the seeds and one invented report with a date, a dated figure and an original URL."""
    folder = tmp_path_factory.mktemp("dated")
    with seeded_server(folder) as url:
        engine = make_engine(Settings(database_url=f"sqlite:///{folder / 'laborwatch.db'}"))
        with write_session(engine) as session:
            key = create_key(session, "dated")
        engine.dispose()
        written = bundle()
        written["report"] |= {"url": ORIGINAL_URL, "published_on": "2026-10-01"}
        answer = httpx.post(f"{url}/v1/reports", json=written, headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 201, answer.text
        yield url


def visit(page: WatchedPage, path: str) -> None:
    """Load `path` whatever its status (a 422 page is a page too), and wait until the network is quiet."""
    assert page.page.goto(page.base + path, wait_until="networkidle") is not None, path


def dated_paths(base: str) -> list[str]:
    """Every kind of explorer page, the dated report and its facility included, and a 422 page."""
    facility = get(base, f"/v1/reports/{DATED_REPORT}")["facility_ids"][0]
    return [
        "/",
        "/facilities",
        "/reports",
        f"/facilities/{seeded_irkutsk(base)['id']}",
        f"/facilities/{facility}",
        f"/reports/{DATED_REPORT}",
        f"/reports/{SEED_REPORT}",
        "/facilities?country=RUS",
    ]


@pytest.mark.parametrize("width", WIDTHS)
def test_no_text_overflows_its_box_on_a_phone_or_a_laptop(browser: Browser, dated: str, width: str) -> None:
    problems = []
    for page in watched(browser, dated, WIDTHS[width]):
        for path in dated_paths(dated):
            visit(page, path)
            problems += [f"{path}: {found}" for found in page.page.evaluate(OVERFLOWING)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("width", WIDTHS)
def test_dates_never_break_at_their_hyphens(browser: Browser, dated: str, width: str) -> None:
    problems = []
    for page in watched(browser, dated, WIDTHS[width]):
        for path in dated_paths(dated):
            visit(page, path)
            problems += [f"{path}: {date}" for date in page.page.evaluate(BROKEN_DATES)]
    assert not problems, problems


def test_the_workers_value_is_visible_without_scrolling_sideways_on_a_phone(
    browser: Browser, dated: str
) -> None:
    facilities = get(dated, "/v1/facilities", limit=100)["items"]
    for page in watched(browser, dated, NARROW):
        page.open("/facilities")
        for facility in facilities:
            cell = page.page.locator(f'tr[data-facility-id="{facility["id"]}"] td.workers')
            box = cell.bounding_box()
            assert box is not None, facility["id"]
            assert box["x"] >= 0, (facility["id"], box)
            assert box["x"] + box["width"] <= NARROW["width"], (facility["id"], box)
            shown = " ".join(cell.inner_text().split())
            expected = "unknown" if facility["workers"] is None else f"{facility['workers']['value']:,}"
            assert expected in shown, (facility["id"], shown)
        # The figure comes first in its card, above the facility's name.
        first = page.page.locator("table#facilities tbody tr").first
        figure_box, name_box = (
            first.locator("td.workers").bounding_box(),
            first.locator("td.lead").bounding_box(),
        )
        assert figure_box is not None
        assert name_box is not None
        assert figure_box["y"] < name_box["y"]
        page.open("/reports")
        for cell in page.page.locator("table#reports tbody td").all():
            box = cell.bounding_box()
            assert box is not None
            assert box["x"] + box["width"] <= NARROW["width"], cell.inner_text()
        assert page.page.evaluate("() => document.documentElement.scrollWidth") <= NARROW["width"]


def test_the_filter_form_folds_behind_a_button_on_a_phone(browser: Browser, dated: str) -> None:
    for page in watched(browser, dated, NARROW):
        for path, field in (("/facilities", "#f-country"), ("/reports", "#r-publisher")):
            page.open(path)
            button = page.page.locator("details.fold > summary")
            assert button.is_visible()
            assert button.inner_text().startswith("Filter")
            assert not page.page.locator(field).is_visible()
            button.click()
            assert page.page.locator(field).is_visible()
            page.no_console_errors()
    for page in watched(browser, dated, DESKTOP):
        page.open("/facilities")
        assert not page.page.locator("details.fold > summary").is_visible()
        assert page.page.locator("#f-country").is_visible()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_dated_chart_label_is_whole(browser: Browser, dated: str, width: str) -> None:
    facility = get(dated, f"/v1/reports/{DATED_REPORT}")["facility_ids"][0]
    for page in watched(browser, dated, WIDTHS[width]):
        page.open(f"/facilities/{facility}")
        labels = page.page.eval_on_selector_all(
            "svg.chart.history text.label",
            """labels => labels.map(label => {
                const box = label.getBBox(), svg = label.ownerSVGElement.viewBox.baseVal;
                const seen = label.getBoundingClientRect();
                const frame = label.closest('.chart-scroll').getBoundingClientRect();
                return {text: label.textContent, left: box.x, right: box.x + box.width, width: svg.width,
                        shown: seen.left >= frame.left && seen.right <= frame.right};
            })""",
        )
        assert "2026-10-01" in [label["text"] for label in labels]
        for label in labels:
            assert label["left"] >= 0, label  # inside the picture
            assert label["right"] <= label["width"], label
            assert label["shown"], label  # and inside its frame, without scrolling


def test_the_report_links_to_its_original_without_passing_on_the_page(browser: Browser, dated: str) -> None:
    for page in watched(browser, dated, DESKTOP):
        page.open(f"/reports/{DATED_REPORT}")
        link = page.page.locator(f'a[href="{ORIGINAL_URL}"]')
        assert link.count() == 1
        assert set((link.get_attribute("rel") or "").split()) >= {"noopener", "noreferrer"}
        assert link.inner_text() == ORIGINAL_URL


def test_the_map_legend_says_what_a_numbered_circle_is(browser: Browser, dated: str) -> None:
    for page in watched(browser, dated, DESKTOP):
        page.open("/")
        page.page.wait_for_selector("#map[data-ready='true']")
        legend = " ".join(page.page.locator("#map-legend").inner_text().split())
        assert "several facilities too close together to draw apart at this zoom" in legend
        assert "share a place" not in page.page.locator("main").inner_text()
        # The legend's circle is drawn as the map draws a group (Leaflet.markercluster's classes).
        colours = page.page.evaluate(
            """() => {
                const group = document.createElement('div');
                group.className = 'marker-cluster marker-cluster-small';
                group.appendChild(document.createElement('div'));
                document.getElementById('map').appendChild(group);
                const swatch = document.querySelector('#map-legend .swatch-cluster');
                const colour = element => getComputedStyle(element).backgroundColor;
                return [colour(group), colour(swatch),
                        colour(group.firstChild), colour(swatch.firstElementChild)];
            }"""
        )
        assert colours[0] == colours[1]
        assert colours[2] == colours[3]


def test_a_bad_filter_is_explained_in_words(browser: Browser, dated: str) -> None:
    for page in watched(browser, dated, NARROW):
        visit(page, "/facilities?country=RUS&min_workers=lots")
        text = " ".join(page.page.locator("main").inner_text().split())
        assert "country: a country is two letters, e.g. RU" in text
        assert "min_workers: a number of workers, e.g. 50" in text
        assert "pattern" not in text
        assert "[A-Za-z]" not in text


def test_a_restricted_report_page_says_what_is_withheld_and_shows_its_figures(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The reader of a restricted report: a notice of what is withheld and why, no text, the figures."""
    folder = tmp_path_factory.mktemp("restricted")
    with seeded_server(folder) as url:
        engine = make_engine(Settings(database_url=f"sqlite:///{folder / 'laborwatch.db'}"))
        with write_session(engine) as session:
            key = create_key(session, "editor")
        engine.dispose()
        restricted = bundle()
        restricted["report"] |= {"access": "restricted", "title": "Visit zqxtitle", "source": "zqxsource"}
        written = httpx.post(f"{url}/v1/reports", json=restricted, headers={"Authorization": f"Bearer {key}"})
        assert written.status_code == 201, written.text
        report_id = restricted["report"]["id"]
        for page in watched(browser, url, DESKTOP):
            page.open(f"/reports/{report_id}")
            assert page.page.locator("h1").inner_text() == f"Restricted report {report_id}"
            notice = page.page.locator("section.withheld").inner_text()
            assert "withheld" in notice
            assert "title" in notice
            assert "body" in notice
            assert page.page.locator("#report-text").count() == 0
            facts = page.page.locator("ol.claims").text_content() or ""
            assert "about 40" in facts  # the worker figure of the restricted claim
            assert "Quote withheld" in facts
            content = page.page.content()
            for canary in ("zqxtitle", "zqxsource", "seamstresses", "Ana Author"):
                assert canary not in content
            page.no_console_errors()
            page.no_outside_requests()
            page.axe_clean()
