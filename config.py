"""Default configuration; overridden by instance/config.py, then the environment, then tests."""

from datetime import timedelta


class DefaultConfig:
    """Settings that are safe on a developer's machine and sane in production."""

    # SECRET_KEY is deliberately absent: create_app reads it from the environment or
    # generates one into instance/secret_key on first run (never committed).
    SQLALCHEMY_DATABASE_URI = None  # filled in by create_app: instance/encaisse.sqlite3
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}

    # Sessions (web/sessions.py): a logged-in browser's session is stored in the database and
    # ends at logout, or after SESSION_IDLE_LIFETIME without a request, or SESSION_ABSOLUTE_LIFETIME
    # after login whatever the activity. The cookie is HttpOnly, SameSite=Lax, and Secure whenever
    # the request came over HTTPS (so a tablet on plain http://127.0.0.1 still works).
    SESSION_COOKIE_NAME = "encaisse_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_IDLE_LIFETIME = timedelta(days=3)
    SESSION_ABSOLUTE_LIFETIME = timedelta(days=30)
    # Visitors not logged in (login page, client portal) keep a signed cookie (CSRF token, messages).
    PERMANENT_SESSION_LIFETIME = timedelta(days=30)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"

    WTF_CSRF_TIME_LIMIT = None  # tied to the session: a tablet left open all day still posts
    WTF_CSRF_SSL_STRICT = False  # SameSite=Lax + token already; proxies often hide Referer
    WTF_I18N_ENABLED = False  # WTForms' own French messages (FrenchForm.Meta.locales)

    # PDF renders on demand (draft previews, statements) per company, in each worker process:
    # at once, and per minute (see web/limits.py). Stored PDFs of issued documents are not limited.
    PDF_RENDERS_PER_COMPANY = 1
    PDF_RENDERS_PER_MINUTE = 30

    MAX_CONTENT_LENGTH = 4 * 1024 * 1024  # whole request; the logo itself is capped lower
    LOGO_MAX_BYTES = 512 * 1024

    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_DEFAULT_SENDER = "Encaisse <no-reply@encaisse.local>"
    MAIL_TIMEOUT = 10
    # E-mails a company may send in 24 hours (documents, reminders, automatic runs): Encaisse
    # must never become a bulk mailer under the platform's sender address.
    MAIL_DAILY_QUOTA = 300
    # DKIM signing (see README › E-mail for a hosted service): selector and PEM private key
    # (inline, or a file path); the domain defaults to MAIL_DEFAULT_SENDER's.
    MAIL_DKIM_SELECTOR = ""
    MAIL_DKIM_PRIVATE_KEY = ""
    MAIL_DKIM_PRIVATE_KEY_FILE = ""
    MAIL_DKIM_DOMAIN = ""

    # Login throttling (see domain/core/accounts.py Throttle): failed logins per (e-mail, IP) pair
    # and per IP in LOGIN_WINDOW; per e-mail from every address together in LOGIN_EMAIL_WINDOW.
    LOGIN_MAX_FAILURES_PER_EMAIL_AND_IP = 5
    LOGIN_MAX_FAILURES_PER_IP = 30
    LOGIN_WINDOW = timedelta(minutes=15)
    LOGIN_MAX_FAILURES_PER_EMAIL = 50
    LOGIN_EMAIL_WINDOW = timedelta(hours=1)

    # Account e-mails (address confirmation, password reset, "this address already has an
    # account"): at most ACCOUNT_MAILS_PER_ADDRESS to one address, and SIGNUP_MAX_PER_IP sign-ups
    # from one IP, per ACCOUNT_LIMITS_WINDOW; how long their links stay valid.
    ACCOUNT_MAILS_PER_ADDRESS = 3
    SIGNUP_MAX_PER_IP = 10
    ACCOUNT_LIMITS_WINDOW = timedelta(hours=1)
    EMAIL_VERIFICATION_LIFETIME = timedelta(hours=48)
    PASSWORD_RESET_LIFETIME = timedelta(hours=1)

    # Reverse proxies: X-Forwarded-For/Proto/Host are believed only on requests whose direct
    # peer is one of TRUSTED_PROXIES (addresses or networks), and then for PROXY_FIX_COUNT hops.
    # Anyone reaching the app directly cannot choose the address it sees (per-IP throttling).
    PROXY_FIX_COUNT = 0
    TRUSTED_PROXIES = ["127.0.0.1", "::1"]

    # Level of the "encaisse" loggers; the security audit ("encaisse.security") writes at INFO.
    LOG_LEVEL = "INFO"

    # Production (`make serve` sets ENCAISSE_PRODUCTION=true): the app refuses to start
    # without PUBLIC_BASE_URL (every link in an e-mail comes from it) and TRUSTED_HOSTS (the
    # Host names it answers to; any other Host header gets a 400).
    PRODUCTION = False
    TRUSTED_HOSTS: list[str] | None = None

    DEFAULT_TIMEZONE = "Europe/Paris"

    # Client links (see README "Client link"): the address clients' phones reach the app at,
    # used in e-mails (None: SERVER_NAME, else http://127.0.0.1:5000 in development).
    PUBLIC_BASE_URL = None
    PORTAL_LINK_DAYS = 365  # a new link stays valid this long (0: until revoked)
    PORTAL_MAX_ATTEMPTS_PER_LINK = 10  # answers posted per link / per IP in the window
    PORTAL_MAX_ATTEMPTS_PER_IP = 30
    PORTAL_WINDOW_MINUTES = 15
    LIFECYCLE_POLL_SECONDS = 30  # the document page's lifecycle panel refreshes itself (0: never)
