"""What goes with a file posted to `POST /v1/flows`: the `flowInfo` part, its sha256, a trackingId.

The definition (schema FlowInfo) requires only `flowSyntax`; we always send
- `trackingId`: our own identifier (schema NotOnlyUuid, at most 36 characters), unique per document
  and stable across retries, so that after a doubt (timeout) we can search for it instead of
  sending twice;
- `sha256`: lowercase hex of the file (pattern ^[a-f0-9]{64}$); the platform checks it on receipt
  (ack reason ChecksumMismatch otherwise);
- `name`: the file name (at most 255 characters);
- `processingRule`: B2B for e-invoicing, B2C / B2BInt for e-reporting.
The definition has no `flowType` in FlowInfo: the platform derives it (an invoice we send is a
CustomerInvoice, a CDAR we send about it a CustomerInvoiceLC).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from xml.etree.ElementTree import ParseError, XMLPullParser

from .codes import FlowSyntax, ProcessingRule

# Our namespace for name-based (version 5) trackingIds; any fixed UUID would do, this one must
# never change or retries after an upgrade would get new ids.
TRACKING_NAMESPACE = uuid.UUID("6f0a8a52-9a51-4d57-9a3c-7d0c5f1e2b61")
MAX_NAME = 255
MAX_TRACKING_ID = 36

_CII_ROOT = "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}CrossIndustryInvoice"
_CDAR_ROOT = ("{urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100}"
              "CrossDomainAcknowledgementAndResponse")
_UBL_NAMESPACES = ("urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
                   "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2")


def sha256_hex(data: bytes) -> str:
    """The file fingerprint the definition wants in FlowInfo.sha256 (lowercase hex)."""
    return hashlib.sha256(data).hexdigest()


def tracking_id(*parts: object) -> str:
    """A trackingId derived from what identifies the document, e.g. ("company", 12, "invoice", 345).

    The same parts always give the same id (UUID version 5), so a retry after a crash or a timeout
    reuses it; different documents (a corrected re-issue is a new document) get different ids.
    """
    if not parts:
        raise ValueError("tracking_id needs at least one part")
    return str(uuid.uuid5(TRACKING_NAMESPACE, "/".join(str(p) for p in parts)))


def detect_syntax(data: bytes) -> str:
    """Factur-X for a PDF, CII / UBL / CDAR from the XML root element; ValueError otherwise."""
    head = data.lstrip()[:1024]
    if head.startswith(b"%PDF-"):
        return FlowSyntax.FACTUR_X
    root = _root_tag(data)
    if root == _CII_ROOT:
        return FlowSyntax.CII
    if root == _CDAR_ROOT:
        return FlowSyntax.CDAR
    if root and root[1:].split("}")[0] in _UBL_NAMESPACES:
        return FlowSyntax.UBL
    raise ValueError("not a Factur-X PDF, a CII, a UBL or a CDAR document")


def _root_tag(data: bytes) -> str:
    # Only the root element's name is needed: read the first start tag instead of parsing it all.
    parser: XMLPullParser = XMLPullParser(events=("start",))
    try:
        parser.feed(data[:65536])
        for event in parser.read_events():
            return str(getattr(event[-1], "tag", ""))
    except ParseError:
        return ""
    return ""


def content_type_for(syntax: str) -> str:
    """The file part's media type; the definition's encoding allows application/pdf and application/xml."""
    return "application/pdf" if syntax == FlowSyntax.FACTUR_X else "application/xml"


def safe_name(filename: str) -> str:
    """A file name the platform will accept: no path, no control characters, at most 255 characters."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip() or "document"
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: MAX_NAME - len(ext) - 1] + dot + ext) if dot and len(ext) < 10 else name[:MAX_NAME]
    return name


def _flow_info(data: bytes, *, tracking: str, filename: str, syntax: str, rule: str,
               profile: str | None = None) -> dict:
    if not data:
        raise ValueError("the file is empty")
    if not tracking or len(tracking) > MAX_TRACKING_ID:
        raise ValueError("trackingId must be 1 to 36 characters")
    if syntax not in FlowSyntax.ALL:
        raise ValueError(f"unknown flowSyntax {syntax!r}")
    if rule not in ProcessingRule.ALL:
        raise ValueError(f"unknown processingRule {rule!r}")
    info = {
        "trackingId": tracking,
        "name": safe_name(filename),
        "processingRule": rule,
        "flowSyntax": syntax,
        "sha256": sha256_hex(data),
    }
    if profile:
        info["flowProfile"] = profile
    return info


def flow_info_for_invoice(data: bytes, *, tracking: str, filename: str, syntax: str | None = None,
                          processing_rule: str = ProcessingRule.B2B, profile: str | None = None) -> dict:
    """flowInfo for a Factur-X PDF, a CII or a UBL invoice (syntax detected when not given).

    `profile` (FlowProfile: Basic, CIUS, Extended-CTC-FR) is left out unless given: the definition
    does not say how its values map to the Factur-X profiles, and the platform can tell anyway.
    """
    syntax = syntax or detect_syntax(data)
    if syntax not in FlowSyntax.INVOICE:
        raise ValueError(f"{syntax} is not an invoice syntax")
    return _flow_info(data, tracking=tracking, filename=filename, syntax=syntax, rule=processing_rule,
                      profile=profile)


def flow_info_for_lifecycle(data: bytes, *, tracking: str, filename: str) -> dict:
    """flowInfo for a CDAR lifecycle status we send as seller (e.g. 212 Encaissée)."""
    return _flow_info(data, tracking=tracking, filename=filename, syntax=FlowSyntax.CDAR,
                      rule=ProcessingRule.B2B)


def flow_info_for_ereporting(data: bytes, *, tracking: str, filename: str,
                             processing_rule: str = ProcessingRule.B2C) -> dict:
    """flowInfo for an e-reporting file (FRR): B2C sales and payments, or international B2B (B2BInt)."""
    if processing_rule not in (ProcessingRule.B2C, ProcessingRule.B2B_INT):
        raise ValueError("e-reporting is B2C or B2BInt")
    return _flow_info(data, tracking=tracking, filename=filename, syntax=FlowSyntax.FRR,
                      rule=processing_rule)
