"""Sign-up, password hashing, and login with throttling and an audit trail."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from domain.core import email_tokens, roles, sessions, throttle, verification
from domain.core.errors import UserError
from domain.core.models import LoginAttempt, User
from domain.core.orm import utcnow
from domain.core.validators import InvalidValue, clean_email
from extensions import db

security_log = logging.getLogger("encaisse.security")


class OneLinePerEvent(logging.Filter):
    """An audit entry stays one line: control characters in a logged value (an e-mail typed
    with a newline, a %0A in a URL) are escaped, so nobody can forge a second entry."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_printable(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _printable(arg) for key, arg in record.args.items()}
        return True


def _printable(value):
    if isinstance(value, str) and not value.isprintable():
        return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in value)
    return value


if not any(isinstance(f, OneLinePerEvent) for f in security_log.filters):
    security_log.addFilter(OneLinePerEvent())

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verifying against this hash when the e-mail is unknown keeps response times equal,
# so timing does not reveal which addresses have an account.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 1024  # long passphrases welcome; the cap only stops abuse


class AccountError(UserError):
    """Sign-up or login refused; `field` names the form field the message belongs to."""


def check_password_strength(password: str) -> None:
    """Minimum 8 characters, passphrases allowed."""
    if len(password or "") < PASSWORD_MIN_LENGTH:
        raise InvalidValue(f"Le mot de passe doit comporter au moins {PASSWORD_MIN_LENGTH} caractères.")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise InvalidValue("Le mot de passe est trop long (1 024 caractères au plus).")


def hash_password(password: str) -> str:
    """argon2id hash."""
    return _hasher.hash(password)


def email_taken(email: str) -> bool:
    """True when a user already has this (normalised) e-mail."""
    return db.session.scalar(select(User.id).where(User.email == email.lower())) is not None


def verify_password(user: User, password: str) -> bool:
    """True when `password` is this user's (asked again before a sensitive change)."""
    try:
        _hasher.verify(user.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False
    return True


def require_owner(actor: User) -> None:
    """Refuse (AccountError) unless the actor may manage the company: settings, bank details, users."""
    if not roles.can_manage_company(actor):
        raise AccountError("Seul le titulaire du compte peut faire cette modification.")


def confirm_sensitive_change(company_id: int, actor: User | None, password: str | None, *, what: str,
                             ask: str, refused: str) -> None:
    """A change of where money or invoices go (bank details, e-invoicing platform): an owner of the
    company, who typed their password again. `ask` and `refused` are the French messages shown next
    to the password field (field "confirm_password"); `what` names the change in the security log."""
    if actor is None or actor.company_id != company_id:
        raise AccountError("Seul le titulaire du compte peut faire cette modification.")
    require_owner(actor)
    if not password:
        raise AccountError(ask, field="confirm_password")
    if not verify_password(actor, password):
        security_log.warning("%s change refused company=%s user=%s (wrong password)", what, company_id, actor.id)
        raise AccountError(refused, field="confirm_password")


def _check_role(role: str) -> None:
    if role not in roles.ROLE_LABELS:
        raise AccountError("Choisissez un rôle dans la liste.", field="role")


def add_user(actor: User, *, name: str, email: str, password: str, role: str = roles.STAFF) -> User:
    """Add another user (e.g. whoever does the paperwork) to the actor's company (owners only)."""
    require_owner(actor)
    _check_role(role)
    email = clean_email(email).lower()
    check_password_strength(password)
    if email_taken(email):
        raise AccountError("Un compte existe déjà avec cette adresse e-mail.", field="email")
    user = User(company_id=actor.company_id, email=email, name=name.strip(), password_hash=hash_password(password),
                role=role)
    db.session.add(user)
    db.session.flush()
    security_log.info("user added user=%s company=%s role=%s by user=%s", user.id, actor.company_id, role, actor.id)
    return user


def _colleague(actor: User, target: User, refusal: str) -> None:
    require_owner(actor)
    if target.company_id != actor.company_id:
        raise AccountError("Utilisateur inconnu.")
    if target.id == actor.id:
        # So that a company always keeps an owner who can log in.
        raise AccountError(refusal)


def set_role(actor: User, target: User, role: str) -> None:
    """Change a colleague's role (owners only; not one's own)."""
    _colleague(actor, target, "Vous ne pouvez pas changer votre propre rôle : demandez-le à un autre titulaire.")
    _check_role(role)
    target.role = role
    db.session.flush()
    security_log.info("role changed user=%s role=%s by user=%s company=%s", target.id, role, actor.id, actor.company_id)


def deactivate_user(actor: User, target: User) -> int:
    """Remove a colleague's access (owners only): they cannot log in, and every session of
    theirs ends now. Their name stays on what they did. Returns how many sessions ended."""
    _colleague(actor, target, "Vous ne pouvez pas désactiver votre propre accès.")
    target.is_active_user = False
    ended = sessions.end_all(target)
    db.session.flush()
    security_log.info("user deactivated user=%s by user=%s company=%s sessions_ended=%s", target.id, actor.id,
                      actor.company_id, ended)
    return ended


def reactivate_user(actor: User, target: User) -> None:
    """Give a deactivated colleague their access back (owners only)."""
    _colleague(actor, target, "Votre accès est déjà actif.")
    target.is_active_user = True
    db.session.flush()
    security_log.info("user reactivated user=%s by user=%s company=%s", target.id, actor.id, actor.company_id)


def owner_addresses(company_id: int) -> list[str]:
    """E-mail addresses of the company's active owners (told of every bank details change)."""
    return list(db.session.scalars(select(User.email).where(
        User.company_id == company_id, User.role == roles.OWNER, User.is_active_user.is_(True)).order_by(User.id)))


@dataclass(frozen=True)
class Throttle:
    """How many failed logins are allowed before a login is refused.

    Per (e-mail, IP) pair and per IP within `window`: someone guessing from one address stops
    there, while the real owner, from another address, still logs in (a lock per e-mail alone let
    anyone lock any owner out with 5 wrong passwords). Per e-mail, from every address together,
    a higher count over a longer `email_window`: guessing one account's password from many
    addresses stays slow."""

    max_per_email_and_ip: int
    max_per_ip: int
    window: timedelta
    max_per_email: int
    email_window: timedelta


def _recent_failures(since: datetime, *conditions) -> int:
    failed = select(func.count(LoginAttempt.id)).where(LoginAttempt.success.is_(False), LoginAttempt.at >= since)
    return db.session.scalar(failed.where(*conditions)) or 0


def _check_throttle(email: str, ip: str, throttle: Throttle, now: datetime) -> None:
    since = now - throttle.window
    if (_recent_failures(since, LoginAttempt.email == email, LoginAttempt.ip == ip) >= throttle.max_per_email_and_ip
            or _recent_failures(since, LoginAttempt.ip == ip) >= throttle.max_per_ip):
        security_log.warning("login throttled email=%s ip=%s", email, ip)
        raise AccountError(f"Trop de tentatives de connexion. Réessayez dans {_duration_fr(throttle.window)}.")
    if _recent_failures(now - throttle.email_window, LoginAttempt.email == email) >= throttle.max_per_email:
        security_log.warning("login throttled email=%s ip=%s", email, ip)
        raise AccountError(f"Trop de tentatives de connexion sur ce compte. Réessayez dans "
                           f"{_duration_fr(throttle.email_window)}, ou choisissez un nouveau mot de passe "
                           "(« Mot de passe oublié ? »).")


def _duration_fr(delta: timedelta) -> str:
    minutes = max(1, int(delta.total_seconds() // 60))
    if minutes % 60 == 0:
        hours = minutes // 60
        return "une heure" if hours == 1 else f"{hours} heures"
    return f"{minutes} minutes"


def authenticate(email: str, password: str, *, ip: str, user_agent: str, throttle: Throttle,
                 now: datetime | None = None) -> User:
    """Return the user for these credentials or raise AccountError; every attempt is recorded.

    Throttling counts failures in the database (not in process memory), so it holds
    across several gunicorn workers and restarts.
    """
    now = now or utcnow()
    email = (email or "").strip().lower()[:254]
    _check_throttle(email, ip, throttle, now)

    user = db.session.scalar(select(User).where(User.email == email))
    ok = False
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password or "")
        ok = user is not None and user.is_active
    except (VerificationError, InvalidHashError):
        ok = False
    db.session.add(LoginAttempt(email=email, ip=ip, at=now, success=ok, user_agent=(user_agent or "")[:500]))
    if not ok or user is None:
        security_log.warning("login failed email=%s ip=%s", email, ip)
        db.session.flush()
        raise AccountError("E-mail ou mot de passe incorrect.")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    security_log.info("login ok user=%s company=%s ip=%s", user.id, user.company_id, ip)
    db.session.flush()
    return user


def change_password(user: User, current: str, new: str, *, keep_session: int | None = None) -> None:
    """Change a password and end the user's other sessions (`keep_session`: the one in use)."""
    try:
        _hasher.verify(user.password_hash, current or "")
    except (VerificationError, InvalidHashError):
        security_log.warning("password change refused user=%s (wrong current password)", user.id)
        raise AccountError("Mot de passe actuel incorrect.", field="current_password") from None
    check_password_strength(new)
    user.password_hash = hash_password(new)
    user.session_version += 1
    sessions.end_all(user, keep=keep_session)
    db.session.flush()
    security_log.info("password changed user=%s company=%s (other sessions revoked)", user.id, user.company_id)


@dataclass(frozen=True)
class MailLimits:
    """Bounds on what account actions e-mail (each one makes Encaisse write to an address someone
    typed): account e-mails per address and sign-ups per IP in `window`; the lifetime of the
    links they carry."""

    per_address: int
    signups_per_ip: int
    window: timedelta
    verify_lifetime: timedelta
    reset_lifetime: timedelta


def may_mail(user: User, limits: MailLimits, now: datetime) -> bool:
    """Count one account e-mail to this user's address; False when too many were sent already."""
    return throttle.allow(f"account-mail:{user.id}", limit=limits.per_address, window=limits.window, now=now)


def request_password_reset(email: str, *, limits: MailLimits, now: datetime) -> tuple[User, str] | None:
    """A reset token for the active account with this address, or None (no such account, or too
    many e-mails to it already). The page answers the same way in every case."""
    email = (email or "").strip().lower()[:254]
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or not user.is_active:
        security_log.info("password reset requested email=%s (no active account)", email)
        return None
    if not may_mail(user, limits, now):
        security_log.warning("password reset throttled user=%s", user.id)
        return None
    token = email_tokens.issue(user, email_tokens.RESET, lifetime=limits.reset_lifetime, now=now)
    security_log.info("password reset requested user=%s company=%s", user.id, user.company_id)
    return user, token


RESET_LINK_INVALID = ("Ce lien de réinitialisation n'est plus valable (déjà utilisé, expiré ou remplacé par un plus "
                      "récent). Demandez-en un nouveau.")


def reset_password(token: str, new_password: str, *, now: datetime) -> User:
    """Set a new password through an e-mailed link (once): every session of the user ends, and the
    address is confirmed (the link proved the mailbox is theirs)."""
    check_password_strength(new_password)  # before using the link: a refused password keeps it valid
    user = email_tokens.redeem(token, email_tokens.RESET, now=now)
    if user is None or not user.is_active:
        raise AccountError(RESET_LINK_INVALID)
    user.password_hash = hash_password(new_password)
    user.session_version += 1
    ended = sessions.end_all(user)
    verification.mark_confirmed(user, now=now)
    db.session.flush()
    security_log.info("password reset user=%s company=%s sessions_ended=%s", user.id, user.company_id, ended)
    return user


def load_session_user(identity: str) -> User | None:
    """Flask-Login user loader: 'id:version' must match the stored session version."""
    try:
        user_id, version = (int(part) for part in identity.split(":", 1))
    except (ValueError, AttributeError):
        return None
    user = db.session.get(User, user_id)
    if user is None or user.session_version != version or not user.is_active:
        return None
    return user
