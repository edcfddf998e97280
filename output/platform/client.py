"""The client of one approved platform (PA) through the AFNOR XP Z12-013 Flow and Directory APIs.

Flow Service (`afnor-flow-service-1.1.0.json`):
    submit_flow        POST /v1/flows             multipart: part `flowInfo` (JSON) + part `file`
    search_flows       POST /v1/flows/search      all pages, paginated with `updatedAfter`
    get_flow           GET  /v1/flows/{flowId}    ?docType=Metadata (JSON) | Original | Converted | ReadableView
    healthcheck        GET  /v1/healthcheck
Directory Service (`afnor-directory-service-1.1.0.json`):
    lookup_siren       GET  /v1/siren/code-insee:{siren} + POST /v1/directory-line/search
    lookup_siret       GET  /v1/siret/code-insee:{siret} + POST /v1/directory-line/search
    lookup_routing_code GET /v1/routing-code/siret:{siret}/code:{id} + POST /v1/directory-line/search

"Sent once" (ARCHITECTURE.md) with this client: record the trackingId before sending, then call
`submit_flow_once`; after a PlatformTimeout, call it again later: it searches the trackingId first
and only posts when the platform has no flow with it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Callable, Iterable
from typing import Any, Self

import requests

from .codes import DocType, FlowSyntax
from .errors import NotFound, PlatformProtocolError
from .flowinfo import content_type_for, sha256_hex
from .models import (
    DirectoryLine,
    Flow,
    FlowDocument,
    Reception,
    SubmittedFlow,
    format_timestamp,
    parse_timestamp,
)
from .settings import PlatformSettings
from .transport import Transport

MAX_PAGE = 100  # SearchFlowParams.limit maximum
# The definition wants at least one search criterion; "everything since the epoch" is the neutral one.
EPOCH = "1970-01-01T00:00:00.000000Z"
_SIREN = re.compile(r"^\d{9}$")
_SIRET = re.compile(r"^\d{14}$")
_ROUTING = re.compile(r"^[-_/a-zA-Z0-9]{1,100}$")  # schema routingIdentifier
_SEARCH_KEYS = frozenset({"updatedAfter", "updatedBefore", "processingRule", "flowType", "flowDirection",
                          "trackingId", "ackStatus"})


def _filename(disposition: str, default: str) -> str:
    match = re.search(r"filename\*?=(?:UTF-8'')?\"?([^\";]+)\"?", disposition or "")
    return match.group(1).strip() if match else default


class PlatformClient:
    """Flow and Directory calls for one company's PA; close() it (or use `with`) when done."""

    def __init__(self, settings: PlatformSettings, *, session: requests.Session | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.settings = settings
        self._http = Transport(settings, session=session, clock=clock)
        self._flow = settings.flow_base_url.rstrip("/")
        self._directory = settings.directory_base_url.rstrip("/")

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def token_fetches(self) -> int:
        """How many access tokens this client asked for (caching makes it small)."""
        return self._http.tokens.fetches

    # -- Flow Service -------------------------------------------------------------------------

    def submit_flow(self, flow_info: dict, file: bytes, filename: str,
                    content_type: str | None = None) -> SubmittedFlow:
        """POST /v1/flows with the `flowInfo` JSON part and the `file` part; the 202 answer."""
        syntax = flow_info.get("flowSyntax")
        if syntax not in FlowSyntax.ALL:
            raise ValueError(f"flowInfo.flowSyntax must be one of {sorted(FlowSyntax.ALL)}")
        if not file:
            raise ValueError("empty file")
        if flow_info.get("sha256") and flow_info["sha256"] != sha256_hex(file):
            raise ValueError("flowInfo.sha256 does not match the file")
        files = {
            # No filename on flowInfo: it is a form field whose content is JSON (encoding in the definition).
            "flowInfo": (None, json.dumps(flow_info, ensure_ascii=False).encode("utf-8"), "application/json"),
            "file": (filename, file, content_type or content_type_for(syntax)),
        }
        body = self._http.call_json("POST", f"{self._flow}/v1/flows", "submit flow", files=files)
        try:
            return SubmittedFlow.from_json(body)
        except (TypeError, ValueError) as exc:
            raise PlatformProtocolError(f"submit flow: {exc}") from None

    def submit_flow_once(self, flow_info: dict, file: bytes, filename: str,
                         content_type: str | None = None) -> SubmittedFlow:
        """Post unless a flow with this trackingId already exists on the platform (then return it).

        Call it again after a PlatformTimeout: the platform may have recorded the first attempt.
        """
        tracking = flow_info.get("trackingId")
        if not tracking:
            raise ValueError("submit_flow_once needs a trackingId")
        existing = self.find_by_tracking_id(tracking)
        if existing:
            first = min(existing, key=lambda f: f.submitted_at or "")
            return SubmittedFlow(flow_id=first.flow_id, submitted_at=first.submitted_at, tracking_id=tracking,
                                 flow_syntax=first.flow_syntax, sha256=flow_info.get("sha256"),
                                 already_submitted=True)
        return self.submit_flow(flow_info, file, filename, content_type)

    def find_by_tracking_id(self, tracking_id: str) -> list[Flow]:
        """Every flow the platform holds with this trackingId (normally zero or one)."""
        return self.search_flows({"trackingId": tracking_id})

    def search_page(self, criteria: dict, limit: int = MAX_PAGE) -> list[Flow]:
        """One POST /v1/flows/search; `criteria` uses the definition's names (SearchFlowFilters)."""
        unknown = set(criteria) - _SEARCH_KEYS
        if unknown:
            raise ValueError(f"unknown search criteria: {sorted(unknown)}")
        where = {k: v for k, v in criteria.items() if v not in (None, [], "")}
        if not where:
            where = {"updatedAfter": EPOCH}
        if not 1 <= limit <= MAX_PAGE:
            raise ValueError(f"limit must be between 1 and {MAX_PAGE}")
        body = self._http.call_json("POST", f"{self._flow}/v1/flows/search", "search flows",
                                    json={"limit": limit, "where": where})
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list):
            raise PlatformProtocolError("search flows: no results array")
        try:
            return [Flow.from_json(item) for item in results]
        except (TypeError, ValueError) as exc:
            raise PlatformProtocolError(f"search flows: {exc}") from None

    def search_flows(self, criteria: dict, *, page_size: int = MAX_PAGE, max_pages: int = 100) -> list[Flow]:
        """All flows matching `criteria`, following the pages in updatedAt order.

        The definition says only that "pagination works with the updatedAfter property". Whether
        updatedAfter is strict is not stated, and two flows may share an updatedAt; so each next
        page asks from one microsecond before the last updatedAt seen and drops what it already
        has. A full page with nothing new means the platform cannot page further: protocol error.
        """
        seen: set[tuple[str, str | None]] = set()
        flows: list[Flow] = []
        where = dict(criteria)
        for _ in range(max_pages):
            page = self.search_page(where, limit=page_size)
            new = [f for f in page if (f.flow_id, f.updated_at) not in seen]
            for flow in new:
                seen.add((flow.flow_id, flow.updated_at))
            flows.extend(new)
            if len(page) < page_size:
                return flows
            last = page[-1].updated_at
            if not new or not last:
                raise PlatformProtocolError("search flows: pagination does not advance")
            where["updatedAfter"] = format_timestamp(parse_timestamp(last) - dt.timedelta(microseconds=1))
        raise PlatformProtocolError(f"search flows: more than {max_pages} pages")

    def poll(self, cursor: str | None, **criteria: Any) -> tuple[list[Flow], str | None]:
        """Flows updated since `cursor` (a platform updatedAt, None the first time) and the next cursor.

        Store the returned cursor; it is the platform's own clock, never ours.
        """
        where = dict(criteria, updatedAfter=cursor or EPOCH)
        flows = self.search_flows(where)
        stamps = [f.updated_at for f in flows if f.updated_at]
        newest = max(stamps, key=parse_timestamp) if stamps else cursor
        return flows, newest

    def get_flow(self, flow_id: str, doc_type: str = DocType.METADATA) -> Flow | FlowDocument:
        """GET /v1/flows/{flowId}: a Flow for Metadata, the file (FlowDocument) otherwise."""
        if doc_type not in DocType.ALL:
            raise ValueError(f"docType must be one of {sorted(DocType.ALL)}")
        if not flow_id or len(flow_id) > 36:
            raise ValueError("a flowId is 1 to 36 characters")
        url = f"{self._flow}/v1/flows/{requests.utils.quote(flow_id, safe='')}"
        params = {"docType": doc_type}
        if doc_type == DocType.METADATA:
            body = self._http.call_json("GET", url, "get flow", params=params)
            try:
                return Flow.from_json(body)
            except (TypeError, ValueError) as exc:
                raise PlatformProtocolError(f"get flow: {exc}") from None
        response = self._http.call("GET", url, "download flow", params=params,
                                   accept="application/octet-stream")
        return FlowDocument(
            flow_id=flow_id, doc_type=doc_type,
            filename=_filename(response.headers.get("Content-Disposition", ""), f"{flow_id}.bin"),
            content_type=response.headers.get("Content-Type", "application/octet-stream"),
            data=response.content,
        )

    def healthcheck(self) -> bool:
        """True when the Flow Service answers 200; a typed error otherwise."""
        self._http.call("GET", f"{self._flow}/v1/healthcheck", "flow healthcheck")
        return True

    # -- Directory Service --------------------------------------------------------------------

    def directory_healthcheck(self) -> bool:
        """True when the Directory Service answers 200; a typed error otherwise."""
        self._http.call("GET", f"{self._directory}/v1/healthcheck", "directory healthcheck")
        return True

    def lookup_siren(self, siren: str) -> Reception:
        """Is this company in the directory, and where (which lines) does it receive e-invoices?"""
        siren = siren.replace(" ", "")
        if not _SIREN.match(siren):
            raise ValueError("a SIREN is 9 digits")
        unit = self._get_or_none(f"{self._directory}/v1/siren/code-insee:{siren}", "directory siren")
        lines = self._lines({"siren": {"op": "contains", "value": siren}},
                            keep=lambda line: line.siren == siren)
        return self._reception(siren, unit, lines)

    def lookup_siret(self, siret: str) -> Reception:
        """Is this establishment in the directory, and does it (or its company) receive e-invoices?"""
        siret = siret.replace(" ", "")
        if not _SIRET.match(siret):
            raise ValueError("a SIRET is 14 digits")
        facility = self._get_or_none(f"{self._directory}/v1/siret/code-insee:{siret}", "directory siret")
        # Lines at SIREN level also serve the establishment: ask for the company's lines.
        siren = siret[:9]
        lines = self._lines({"siren": {"op": "contains", "value": siren}},
                            keep=lambda line: line.siren == siren and line.siret in (None, siret))
        return self._reception(siret, facility, lines)

    def lookup_routing_code(self, siret: str, routing_identifier: str) -> Reception:
        """The directory's answer for a routing code (service code) of an establishment."""
        siret = siret.replace(" ", "")
        if not _SIRET.match(siret) or not _ROUTING.match(routing_identifier):
            raise ValueError("a SIRET is 14 digits; a routing code 1-100 letters, digits, - _ /")
        code = self._get_or_none(
            f"{self._directory}/v1/routing-code/siret:{siret}/code:{requests.utils.quote(routing_identifier, safe='')}",
            "directory routing code")
        siren = siret[:9]
        lines = self._lines({"siren": {"op": "contains", "value": siren}},
                            keep=lambda line: line.siren == siren and line.siret in (None, siret)
                            and line.routing_identifier in (None, routing_identifier))
        name = ""
        if code is not None:
            name = str(code.get("routingCodeName") or "")
            code = {"name": name, "administrativeStatus": code.get("administrativeStatus")}
        return self._reception(routing_identifier, code, lines)

    def _get_or_none(self, url: str, what: str) -> dict | None:
        try:
            body = self._http.call_json("GET", url, what)
        except NotFound:
            return None
        if not isinstance(body, dict):
            raise PlatformProtocolError(f"{what}: not an object")
        return body

    def _lines(self, filters: dict, keep: Callable[[DirectoryLine], bool]) -> tuple[DirectoryLine, ...]:
        # The definition only offers "contains" on siren/siret: filter exact matches here.
        lines: list[DirectoryLine] = []
        ignore = 0
        while True:
            body = self._http.call_json("POST", f"{self._directory}/v1/directory-line/search",
                                        "directory lines", json={"filters": filters, "limit": MAX_PAGE,
                                                                 "ignore": ignore})
            results = body.get("results") if isinstance(body, dict) else None
            if not isinstance(results, list):
                raise PlatformProtocolError("directory lines: no results array")
            lines.extend(self._line(item) for item in results if isinstance(item, dict))
            total = body.get("totalNumberOfResults")
            ignore += len(results)
            if not results or not isinstance(total, int) or ignore >= total:
                break
        return tuple(line for line in lines if keep(line))

    def _line(self, item: dict) -> DirectoryLine:
        platform = item.get("platform")
        if platform is None and item.get("addressingIdentifier"):
            # Some platforms may leave relations out of search results: ask for the line itself.
            platform = self._line_platform(str(item["addressingIdentifier"]))
        routing = item.get("routingCode") or {}
        return DirectoryLine(
            addressing_identifier=str(item.get("addressingIdentifier") or ""),
            siren=str(item.get("siren") or ""),
            siret=item.get("siret") or None,
            routing_identifier=routing.get("routingIdentifier") or item.get("routingIdentifier") or None,
            addressing_suffix=item.get("addressingSuffix") or None,
            platform_type=(platform or {}).get("platformType"),
            platform_status=(platform or {}).get("platformStatus"),
        )

    def _line_platform(self, addressing_identifier: str) -> dict | None:
        body = self._get_or_none(
            f"{self._directory}/v1/directory-line/code:{requests.utils.quote(addressing_identifier, safe='')}"
            "?include=platform", "directory line")
        return (body or {}).get("platform")

    @staticmethod
    def _reception(identifier: str, entity: dict | None, lines: Iterable[DirectoryLine]) -> Reception:
        status = (entity or {}).get("administrativeStatus")
        return Reception(
            identifier=identifier,
            known=entity is not None,
            name=str((entity or {}).get("businessName") or (entity or {}).get("name") or ""),
            active=None if status is None else status == "A",
            lines=tuple(lines),
        )
