"""Default configuration; overridden by instance/config.py, then the environment, then tests."""

from datetime import timedelta


class DefaultConfig:
    """Settings that are safe on a developer's machine and sane in production."""

    # SECRET_KEY is deliberately absent: create_app reads it from the environment or
    # generates one into instance/secret_key on first run (never committed).
    SQLALCHEMY_DATABASE_URI = None  # filled in by create_app: instance/encaisse.sqlite3
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}

    # Sessions: HttpOnly, SameSite=Lax; Secure is decided per request (HTTPS or not)
    # by SecureWhenHttpsSessionInterface, so a tablet on plain http://127.0.0.1 still works.
    SESSION_COOKIE_NAME = "encaisse_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
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

    # Login throttling (see domain/accounts.py): failures per e-mail / per IP in a window.
    LOGIN_MAX_FAILURES_PER_EMAIL = 5
    LOGIN_MAX_FAILURES_PER_IP = 30
    LOGIN_WINDOW = timedelta(minutes=15)

    # Number of trusted reverse proxies in front of the app (X-Forwarded-For/Proto).
    PROXY_FIX_COUNT = 0

    # Production (`make serve` sets ENCAISSE_PRODUCTION=true): the app refuses to start
    # without PUBLIC_BASE_URL (every link in an e-mail comes from it) and TRUSTED_HOSTS (the
    # Host names it answers to; any other Host header gets a 400).
    PRODUCTION = False
    TRUSTED_HOSTS: list[str] | None = None

    # Responses compressed by the app itself (Flask-Compress): a tablet on one bar of signal
    # should not depend on a proxy being set up. Static files are compressed once, ahead, and
    # served under content-hashed names (web/assets.py). Brotli first (smaller on HTML), gzip
    # for the rest. BREACH: the CSRF token in pages is signed with a timestamp (Flask-WTF),
    # so its bytes change every second and cannot be guessed through compressed sizes.
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_BR_LEVEL = 5
    COMPRESS_MIMETYPES = ["text/html", "application/json", "text/css", "text/javascript", "application/javascript",
                          "application/manifest+json", "image/svg+xml", "text/plain"]

    DEFAULT_TIMEZONE = "Europe/Paris"

    # Client links (see README "Client link"): the address clients' phones reach the app at,
    # used in e-mails (None: SERVER_NAME, else http://127.0.0.1:5000 in development).
    PUBLIC_BASE_URL = None
    PORTAL_LINK_DAYS = 365  # a new link stays valid this long (0: until revoked)
    PORTAL_MAX_ATTEMPTS_PER_LINK = 10  # answers posted per link / per IP in the window
    PORTAL_MAX_ATTEMPTS_PER_IP = 30
    PORTAL_WINDOW_MINUTES = 15
    LIFECYCLE_POLL_SECONDS = 30  # the document page's lifecycle panel refreshes itself (0: never)
