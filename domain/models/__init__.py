"""All models, imported here so metadata (and Alembic) sees every table."""

from ..orm import Base, UTCDateTime, utcnow
from .clients import CLIENT_KINDS, KIND_BUSINESS, KIND_INDIVIDUAL, Client, Contact
from .company import LEGAL_FORMS, VAT_FRANCHISE, VAT_NORMAL, Company, LoginAttempt, User
from .documents import (
    INVOICE_KINDS,
    KIND_LABELS,
    PAYMENT_METHOD_LABELS,
    SERIES,
    CatalogItem,
    Document,
    DocumentLine,
    Event,
    FormSubmission,
    Kind,
    NumberSequence,
    Payment,
    PaymentMethod,
    StoredFile,
    VatRegime,
)
from .portal import ClientResponse, DocumentLink, DocumentTracking, PortalAttempt
from .reminders import MessageTemplate, RateEntry, ReminderPlan, Send, Task

__all__ = [
    "Base", "UTCDateTime", "utcnow",
    "Company", "User", "LoginAttempt", "LEGAL_FORMS", "VAT_NORMAL", "VAT_FRANCHISE",
    "Client", "Contact", "CLIENT_KINDS", "KIND_BUSINESS", "KIND_INDIVIDUAL",
    "Document", "DocumentLine", "NumberSequence", "Payment", "PaymentMethod", "Event", "CatalogItem",
    "FormSubmission", "StoredFile", "Kind", "VatRegime", "SERIES", "KIND_LABELS", "INVOICE_KINDS",
    "PAYMENT_METHOD_LABELS", "MessageTemplate", "ReminderPlan", "Send", "Task", "RateEntry",
    "DocumentLink", "ClientResponse", "DocumentTracking", "PortalAttempt",
]
