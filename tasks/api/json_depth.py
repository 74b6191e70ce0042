"""How deeply a JSON document may nest.

A task is an object holding a list of tags (depth 2), an MCP message a few levels more.
Far deeper documents only break things downstream: DRF's CharField turns a nested list
into a string recursively (RecursionError at ~950 levels) and orjson refuses to
serialize past 254 (the idempotency fingerprint). Such bodies are refused at parse time.
"""

from __future__ import annotations

import orjson

MAX_JSON_DEPTH = 32


class TooDeeplyNested(ValueError):
    """The document nests deeper than MAX_JSON_DEPTH."""

    def __init__(self) -> None:
        super().__init__(f"JSON nested deeper than {MAX_JSON_DEPTH} levels is not accepted.")


def check_depth(body: bytes, value: object) -> None:
    """Raise TooDeeplyNested if `value` (parsed from `body`) nests too deeply.

    Counting the brackets in the raw body (in C) settles nearly every request: with no
    more openings than the limit, no path can be deeper. Only otherwise is the parsed
    value walked, without recursion.
    """
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return
    if not isinstance(value, dict | list):
        return
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise TooDeeplyNested
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def check_body_depth(body: bytes) -> None:
    """check_depth() for a body another parser will read (the MCP SDK's): parsed here
    only when its brackets could nest too deeply. Malformed JSON is left to that parser."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return
    check_depth(body, value)
