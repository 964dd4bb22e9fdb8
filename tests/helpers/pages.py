"""Reading the explorer's HTML pages."""

from html.parser import HTMLParser

from fastapi.testclient import TestClient


class Page(HTMLParser):
    """The parts of a page the tests read: elements by id, links, and the text inside each claim mark."""

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"})

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: dict[str, dict[str, str]] = {}
        self.text_of: dict[str, list[str]] = {}
        self.urls: list[str] = []
        self.marks: list[dict[str, str]] = []  # every claim mark's attributes, in document order
        self.mark_text: dict[str, list[str]] = {}  # claim id -> text pieces inside its marks
        self.tables: dict[str, list[list[str]]] = {}
        self._open: list[tuple[str, dict[str, str]]] = []
        self._table: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        for name in ("src", "href", "action"):
            if name in attributes:
                self.urls.append(attributes[name])
        if "id" in attributes:
            self.ids[attributes["id"]] = {"tag": tag, **attributes}
            self.text_of.setdefault(attributes["id"], [])
        if tag == "mark" and "claim" in attributes.get("class", "").split():
            self.marks.append(attributes)
            self.mark_text.setdefault(attributes["data-claim-id"], [])
        if tag == "table" and "id" in attributes:
            self._table = attributes["id"]
            self.tables[self._table] = []
        if self._table and tag == "tr":
            self.tables[self._table].append([])
        if tag not in self.VOID:
            self._open.append((tag, attributes))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            opened, _ = self._open.pop()
            if opened == tag:
                break
        if tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        for _, attributes in self._open:
            if "id" in attributes:
                self.text_of[attributes["id"]].append(data)
            if "claim" in attributes.get("class", "").split() and "data-claim-id" in attributes:
                self.mark_text[attributes["data-claim-id"]].append(data)
        if self._table and self.tables[self._table] and data.strip():
            self.tables[self._table][-1].append(data.strip())

    def text(self, element_id: str) -> str:
        """The text inside the element with this id, whitespace folded."""
        return " ".join("".join(self.text_of[element_id]).split())


def html_page(client: TestClient, path: str, status: int = 200) -> Page:
    response = client.get(path)
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return Page(response.text)


def rows(page: Page, table: str) -> list[list[str]]:
    """The body rows of a table (its header row left out)."""
    return page.tables[table][1:]
