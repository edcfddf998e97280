"""A new company on Encaisse: the account, its owner, and what every company starts with.

Above the feature packages (it uses core and collections), like the demo data."""

from __future__ import annotations

from domain.collections.reminders import default_plan
from domain.core.accounts import AccountError, check_password_strength, email_taken, hash_password, security_log
from domain.core.models import Company, User
from domain.core.validators import clean_email
from extensions import db


def sign_up(*, company_name: str, user_name: str, email: str, password: str) -> User:
    """Create a company and its first user (owner)."""
    email = clean_email(email).lower()
    check_password_strength(password)
    if email_taken(email):
        raise AccountError("Un compte existe déjà avec cette adresse e-mail.", field="email")
    company = Company(name=company_name.strip())
    user = User(company=company, email=email, name=user_name.strip(), password_hash=hash_password(password), role="owner")
    db.session.add_all([company, user])
    db.session.flush()
    # Its default reminder plan now, so that no page has to create it on first view (a GET
    # that writes).
    default_plan(company)
    security_log.info("signup company=%s user=%s", company.id, user.id)
    return user
