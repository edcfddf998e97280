"""All models, imported here so metadata (and Alembic) sees every table."""

from ..orm import Base, UTCDateTime, utcnow
from .clients import CLIENT_KINDS, KIND_BUSINESS, KIND_INDIVIDUAL, Client, Contact
from .company import LEGAL_FORMS, VAT_FRANCHISE, VAT_NORMAL, Company, LoginAttempt, User

__all__ = [
    "Base", "UTCDateTime", "utcnow",
    "Company", "User", "LoginAttempt", "LEGAL_FORMS", "VAT_NORMAL", "VAT_FRANCHISE",
    "Client", "Contact", "CLIENT_KINDS", "KIND_BUSINESS", "KIND_INDIVIDUAL",
]
