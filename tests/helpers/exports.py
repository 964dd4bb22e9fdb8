"""Reading exports: NDJSON bodies and the file names of their downloads."""

import json
import re
from typing import Any

import httpx

Item = dict[str, Any]


def read_ndjson(response: httpx.Response) -> list[Item]:
    text = response.text
    if not text:
        return []
    assert text.endswith("\n")
    lines = text[:-1].split("\n")
    assert all(lines), "no blank lines"
    return [json.loads(line) for line in lines]


def filename_of(response: httpx.Response) -> str:
    disposition = response.headers["content-disposition"]
    found = re.fullmatch(r'attachment;\s*filename="([^"]+)"', disposition)
    assert found, disposition
    return found.group(1)
