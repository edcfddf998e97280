"""Connection to an approved e-invoicing platform (PA) through the AFNOR XP Z12-013 APIs.

A leaf package: standard library, requests, lxml and `output.*` only; no Flask, no database, no
domain. The domain passes a `PlatformClient` (or its methods) to the functions that send invoices,
statuses and reports, and catches the typed errors of `errors`.
"""

from .cdar import LifecycleMessage, Party, StatusReport, build_encaissee, build_status_message, parse_status_message
from .client import PlatformClient
from .codes import STATUS_LABELS, AckStatus, DocType, FlowDirection, FlowSyntax, FlowType, ProcessingRule, Status
from .errors import (
    AuthenticationFailed,
    NotFound,
    PlatformError,
    PlatformProtocolError,
    PlatformTimeout,
    PlatformUnavailable,
    RateLimited,
    RequestRejected,
)
from .flowinfo import (
    detect_syntax,
    flow_info_for_ereporting,
    flow_info_for_invoice,
    flow_info_for_lifecycle,
    sha256_hex,
    tracking_id,
)
from .models import AckDetail, DirectoryLine, Flow, FlowDocument, Reception, SubmittedFlow
from .settings import PlatformSettings
from .webhook import WebhookDelivery, WebhookRejected, verify_webhook

__all__ = [
    "STATUS_LABELS", "AckDetail", "AckStatus", "AuthenticationFailed", "DirectoryLine", "DocType", "Flow",
    "FlowDirection", "FlowDocument", "FlowSyntax", "FlowType", "LifecycleMessage", "NotFound", "Party",
    "PlatformClient", "PlatformError", "PlatformProtocolError", "PlatformSettings", "PlatformTimeout",
    "PlatformUnavailable", "ProcessingRule", "RateLimited", "Reception", "RequestRejected", "Status",
    "StatusReport", "SubmittedFlow", "WebhookDelivery", "WebhookRejected", "build_encaissee",
    "build_status_message", "detect_syntax", "flow_info_for_ereporting", "flow_info_for_invoice",
    "flow_info_for_lifecycle", "parse_status_message", "sha256_hex", "tracking_id", "verify_webhook",
]
