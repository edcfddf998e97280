"""What the platform answers, as frozen dataclasses built from the definition's JSON schemas.

Timestamps stay the platform's strings (`submitted_at`, `updated_at`): the definition asks the
consumer to use them as its time reference "to avoid clock synchronization issues", so they are
compared and sent back as they came; `parse_timestamp` turns one into a datetime when needed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from .codes import AckStatus, FlowType


def parse_timestamp(value: str) -> dt.datetime:
    """An RFC 3339 date-time as an aware datetime (fractions beyond microseconds are cut)."""
    text = value.strip().replace("z", "Z")
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment


def format_timestamp(moment: dt.datetime) -> str:
    """RFC 3339 in UTC with microseconds, as sent in search criteria."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class AckDetail:
    """One AcknowledgementDetail: level Error|Warning, the item concerned, a reason code and message."""

    level: str
    item: str
    reason_code: str
    reason_message: str


@dataclass(frozen=True)
class Flow:
    """A flow as returned by search, GET ?docType=Metadata and the webhook (schema Flow)."""

    flow_id: str
    tracking_id: str | None = None
    flow_type: str | None = None
    flow_direction: str | None = None
    flow_syntax: str | None = None
    flow_profile: str | None = None
    processing_rule: str | None = None
    processing_rule_source: str | None = None
    submitted_at: str | None = None
    updated_at: str | None = None
    ack_status: str | None = None
    ack_details: tuple[AckDetail, ...] = ()
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> Flow:
        """Build from a decoded Flow object; TypeError when it is not one (no flowId)."""
        if not isinstance(data, dict) or not isinstance(data.get("flowId"), str):
            raise TypeError("a flow without flowId")
        ack = data.get("acknowledgement") or {}
        details = tuple(
            AckDetail(level=str(d.get("level", "")), item=str(d.get("item", "")),
                      reason_code=str(d.get("reasonCode", "")), reason_message=str(d.get("reasonMessage", "")))
            for d in (ack.get("details") or []) if isinstance(d, dict)
        )
        return cls(
            flow_id=data["flowId"],
            tracking_id=data.get("trackingId"),
            flow_type=data.get("flowType"),
            flow_direction=data.get("flowDirection"),
            flow_syntax=data.get("flowSyntax"),
            flow_profile=data.get("flowProfile"),
            processing_rule=data.get("processingRule"),
            processing_rule_source=data.get("processingRuleSource"),
            submitted_at=data.get("submittedAt"),
            updated_at=data.get("updatedAt"),
            ack_status=ack.get("status"),
            ack_details=details,
            raw=data,
        )

    @property
    def is_lifecycle(self) -> bool:
        """A CDAR status (download its Original and read it with `cdar.parse_status_message`)."""
        return self.flow_type in FlowType.LIFECYCLE

    @property
    def accepted(self) -> bool:
        return self.ack_status == AckStatus.OK

    @property
    def rejected(self) -> bool:
        return self.ack_status == AckStatus.ERROR


@dataclass(frozen=True)
class SubmittedFlow:
    """The 202 answer to POST /v1/flows (schema FullFlowInfo): our flowInfo plus flowId and submittedAt."""

    flow_id: str
    submitted_at: str | None
    tracking_id: str | None
    flow_syntax: str | None
    sha256: str | None
    already_submitted: bool = False  # True when submit_flow_once found it instead of posting

    @classmethod
    def from_json(cls, data: Any) -> SubmittedFlow:
        if not isinstance(data, dict) or not isinstance(data.get("flowId"), str):
            raise TypeError("a submission answer without flowId")
        return cls(flow_id=data["flowId"], submitted_at=data.get("submittedAt"),
                   tracking_id=data.get("trackingId"), flow_syntax=data.get("flowSyntax"),
                   sha256=data.get("sha256"))


@dataclass(frozen=True)
class FlowDocument:
    """A file downloaded with GET /v1/flows/{flowId}?docType=Original|Converted|ReadableView."""

    flow_id: str
    doc_type: str
    filename: str
    content_type: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class DirectoryLine:
    """Where a company receives its invoices: one line of the directory (annuaire).

    The definition's line carries the addressing identifier (the electronic address, Peppol scheme
    0225), the SIREN, optionally a SIRET and a routing code, and the receiving platform's type:
    WK for an approved platform, DFH for the public portal, plus Enabled/Disabled. It does not name
    which PA it is.
    """

    addressing_identifier: str
    siren: str
    siret: str | None = None
    routing_identifier: str | None = None
    addressing_suffix: str | None = None
    platform_type: str | None = None  # WK (an approved platform) | DFH (public portal)
    platform_status: str | None = None  # Enabled | Disabled

    @property
    def enabled(self) -> bool:
        return self.platform_status != "Disabled"


@dataclass(frozen=True)
class Reception:
    """The directory's answer for a SIREN, SIRET or routing code: is it known, does it receive, where."""

    identifier: str
    known: bool
    name: str = ""
    active: bool | None = None  # administrativeStatus A (active) / C (closed)
    lines: tuple[DirectoryLine, ...] = ()

    @property
    def receives(self) -> bool:
        """At least one enabled directory line: e-invoices can be addressed to it."""
        return any(line.enabled for line in self.lines)

    def address_for(self, siret: str | None = None, routing_identifier: str | None = None) -> DirectoryLine | None:
        """The most specific enabled line: SIREN/SIRET/routing code, else SIREN/SIRET, else SIREN alone."""
        enabled = [line for line in self.lines if line.enabled]
        if siret and routing_identifier:
            for line in enabled:
                if line.siret == siret and line.routing_identifier == routing_identifier:
                    return line
        if siret:
            for line in enabled:
                if line.siret == siret and not line.routing_identifier:
                    return line
        for line in enabled:
            if not line.siret and not line.routing_identifier and not line.addressing_suffix:
                return line
        return None
