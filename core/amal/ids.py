"""Record keys in URLs: ``<id:name>`` takes 1 to :data:`MAX_ID` (a larger
number is a 404, not a database overflow). Shared by the web and the API."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

MAX_ID = 2**31 - 1  # the largest key both databases store as INTEGER


class IdConverter(IntegerConverter):
    """``<id:name>``: a record key, 1 to MAX_ID."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)
