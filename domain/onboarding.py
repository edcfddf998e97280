"""A new company on Encaisse: the account, its owner, and what every company starts with.

Above the feature packages (it uses core and collections), like the demo data.

Sign-up answers the same way whether the address already has an account or not (nobody can
learn who uses Encaisse from it): a new account gets a link to confirm its address, an existing
one an e-mail saying someone tried (with the ways back in). Until an owner confirms their
address, nothing is sent to the company's clients (domain.core.verification)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from domain.collections.reminders import default_plan
from domain.core import accounts, throttle, verification
from domain.core.accounts import MailLimits, security_log
from domain.core.models import Company, User
from domain.core.roles import OWNER
from domain.core.validators import clean_email
from extensions import db


@dataclass(frozen=True)
class SignUp:
    """What a sign-up did, for the caller's e-mail (its page is the same in every case)."""

    user: User | None = None  # the new owner, to whom `verify_token` goes
    verify_token: str = ""
    existing: User | None = None  # the address already had this account: tell its owner (if `notify`)
    notify: bool = False


def sign_up(*, company_name: str, user_name: str, email: str, password: str, ip: str, limits: MailLimits,
            now: datetime) -> SignUp:
    """Create a company and its first user (owner, address to confirm), or, when the address is
    taken, create nothing and say whom to tell. Refused (AccountError) past SIGNUP_MAX_PER_IP."""
    email = clean_email(email).lower()
    accounts.check_password_strength(password)
    if not throttle.allow(f"signup-ip:{ip}", limit=limits.signups_per_ip, window=limits.window, now=now):
        security_log.warning("signup throttled ip=%s", ip)
        raise accounts.AccountError("Trop de comptes créés depuis votre connexion. Réessayez dans une heure.")
    password_hash = accounts.hash_password(password)  # in every case: the answer takes as long either way
    existing = db.session.scalar(select(User).where(User.email == email))
    if existing is not None:
        security_log.info("signup refused: address taken user=%s ip=%s", existing.id, ip)
        return SignUp(existing=existing, notify=accounts.may_mail(existing, limits, now))
    company = Company(name=company_name.strip())
    user = User(company=company, email=email, name=user_name.strip(), password_hash=password_hash, role=OWNER)
    try:
        with db.session.begin_nested():
            db.session.add_all([company, user])
            db.session.flush()
    except IntegrityError:  # the same address signed up a moment ago, in parallel
        return SignUp()
    # Its default reminder plan now, so that no page has to create it on first view (a GET
    # that writes).
    default_plan(company)
    token = verification.start(user, lifetime=limits.verify_lifetime, now=now)
    accounts.may_mail(user, limits, now)  # the first account e-mail to this address counts too
    security_log.info("signup company=%s user=%s ip=%s", company.id, user.id, ip)
    return SignUp(user=user, verify_token=token)


def resend_confirmation(user: User, *, limits: MailLimits, now: datetime) -> str | None:
    """A new confirmation link for this user's address (None: confirmed already, or too many
    e-mails to it in the window)."""
    if user.email_verified_at is not None or not accounts.may_mail(user, limits, now):
        return None
    return verification.start(user, lifetime=limits.verify_lifetime, now=now)
