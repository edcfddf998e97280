"""HTTP to the platform: OAuth2 token cache, explicit timeouts, status codes mapped to typed errors.

Every call goes through `Transport.call`, which
- gets a bearer token from `TokenCache` (client credentials grant, RFC 6749 §4.4), cached until
  shortly before it expires; on a 401 the token is dropped and the call made once more with a new one;
- sends an `X-Request-Id` (the definition's RequestIdHeader) so a support ticket can quote it;
- never follows redirects (a redirected POST would lose its body or leak the token elsewhere);
- turns every failure into one of the errors of `output.platform.errors`.
Nothing here logs a header, a token or the client secret.
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import requests

from .errors import (
    AuthenticationFailed,
    NotFound,
    PlatformProtocolError,
    PlatformTimeout,
    PlatformUnavailable,
    RateLimited,
    RequestRejected,
)
from .settings import PlatformSettings

log = logging.getLogger("encaisse.platform")

# A token whose lifetime the server does not state is kept this long (RFC 6749 §5.1 makes
# expires_in only RECOMMENDED).
DEFAULT_TOKEN_LIFETIME = 60.0


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def _connection_error(exc: requests.RequestException, what: str) -> Exception:
    """Map a requests exception raised before any answer arrived to a typed error."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return PlatformUnavailable(f"{what}: connection timed out ({type(exc).__name__})")
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return PlatformTimeout(f"{what}: no answer before the read timeout")
    if isinstance(exc, requests.exceptions.ConnectionError):
        # "Connection aborted" means the request was (at least partly) sent and the connection
        # dropped before the answer: as doubtful as a timeout. Refused/DNS/TLS errors are not.
        text = str(exc)
        if "Connection aborted" in text or "RemoteDisconnected" in text:
            return PlatformTimeout(f"{what}: connection lost before the answer")
        return PlatformUnavailable(f"{what}: cannot connect ({type(exc).__name__})")
    return PlatformUnavailable(f"{what}: {type(exc).__name__}")


def _decode_json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def error_from_response(response: requests.Response, what: str) -> Exception:
    """The typed error for a non-2xx answer (401 included: the caller decides about refreshing)."""
    status = response.status_code
    body = _decode_json(response)
    code = message = ""
    if isinstance(body, dict):
        # Flow Service: schema Error {errorCode, errorMessage}; Directory Service: problem+json
        # {type, message, status, details}; token endpoint: RFC 6749 {error, error_description}.
        code = str(body.get("errorCode") or body.get("error") or body.get("type") or "")
        message = str(body.get("errorMessage") or body.get("error_description")
                      or body.get("message") or body.get("details") or "")
    request_id = str(response.request.headers.get("X-Request-Id", "")) if response.request is not None else ""
    detail = f"{what}: HTTP {status} {code} {message}".strip() + (f" (X-Request-Id {request_id})" if request_id else "")
    if status == 401:
        return AuthenticationFailed(detail, status=401)
    if status == 429:
        return RateLimited(detail, retry_after=parse_retry_after(response.headers.get("Retry-After")))
    if status in (408,) or status >= 500:
        return PlatformUnavailable(detail, status=status,
                                   retry_after=parse_retry_after(response.headers.get("Retry-After")))
    if status == 404:
        return NotFound(detail, status=404, error_code=code, error_message=message, body=body)
    if 400 <= status < 500:
        return RequestRejected(detail, status=status, error_code=code, error_message=message, body=body)
    return PlatformProtocolError(f"{what}: unexpected HTTP {status}", status=status)


class TokenCache:
    """OAuth2 client-credentials access token, fetched once and reused until it nearly expires."""

    def __init__(self, settings: PlatformSettings, session: requests.Session,
                 clock: Callable[[], float] = time.monotonic):
        self._settings = settings
        self._session = session
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0
        self.fetches = 0  # how many tokens were requested (observable by tests and metrics)

    def get(self) -> str:
        """A valid access token, from the cache or freshly fetched."""
        with self._lock:
            if self._token is None or self._clock() >= self._renew_at:
                self._fetch()
            assert self._token is not None
            return self._token

    def invalidate(self, token: str) -> None:
        """Forget `token` (the API refused it) so the next get() fetches a new one."""
        with self._lock:
            if self._token == token:
                self._token = None

    def _fetch(self) -> None:
        s = self._settings
        data = {"grant_type": "client_credentials"}
        if s.scope:
            data["scope"] = s.scope
        auth = None
        if s.token_auth_method == "basic":
            auth = (s.client_id, s.client_secret)
        else:
            data["client_id"] = s.client_id
            data["client_secret"] = s.client_secret
        started = self._clock()
        try:
            response = self._session.post(s.token_url, data=data, auth=auth, timeout=s.timeout,
                                          headers={"Accept": "application/json"}, allow_redirects=False)
        except requests.RequestException as exc:
            error = _connection_error(exc, "token")
            # Asking for a token changes nothing on the platform: a timeout here is plain unavailability.
            if isinstance(error, PlatformTimeout):
                error = PlatformUnavailable(str(error))
            raise error from None
        self.fetches += 1
        log.info("platform token: HTTP %s in %.0f ms", response.status_code, (self._clock() - started) * 1000)
        if response.status_code in (400, 401, 403):
            # RFC 6749 §5.2: invalid_client / unauthorized_client / invalid_scope... all need a
            # person to fix the settings; retrying will not help.
            error = error_from_response(response, "token")
            raise AuthenticationFailed(str(error), status=response.status_code) from None
        if response.status_code != 200:
            raise error_from_response(response, "token")
        body = _decode_json(response)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise PlatformProtocolError("token endpoint answered without an access_token")
        try:
            lifetime = float(body.get("expires_in", DEFAULT_TOKEN_LIFETIME))
        except (TypeError, ValueError):
            lifetime = DEFAULT_TOKEN_LIFETIME
        # Renew before expiry, but never keep a short-lived token for less than half its life.
        margin = min(s.token_refresh_margin, lifetime / 2)
        self._token = token
        self._renew_at = started + lifetime - margin


class Transport:
    """Authenticated calls to the platform's APIs; see the module docstring."""

    def __init__(self, settings: PlatformSettings, session: requests.Session | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.settings = settings
        self._owns_session = session is None
        self.session = session or requests.Session()
        self.tokens = TokenCache(settings, self.session, clock)

    def close(self) -> None:
        """Close the connection pool if this transport created it."""
        if self._owns_session:
            self.session.close()

    def call(self, method: str, url: str, what: str, *, json: Any = None, files: Any = None,
             params: dict | None = None, accept: str = "application/json") -> requests.Response:
        """Send one request; return the 2xx response or raise a typed error."""
        request_id = str(uuid.uuid4())
        response = None
        for attempt in (1, 2):
            token = self.tokens.get()
            headers = {"Authorization": f"Bearer {token}", "Accept": accept, "X-Request-Id": request_id}
            started = time.monotonic()
            try:
                response = self.session.request(method, url, json=json, files=files, params=params,
                                                headers=headers, timeout=self.settings.timeout,
                                                allow_redirects=False)
            except requests.RequestException as exc:
                log.warning("platform %s: %s (X-Request-Id %s)", what, type(exc).__name__, request_id)
                raise _connection_error(exc, what) from None
            log.info("platform %s: HTTP %s in %.0f ms (X-Request-Id %s)", what, response.status_code,
                     (time.monotonic() - started) * 1000, request_id)
            if response.status_code == 401 and attempt == 1:
                # Expired or revoked before our clock said so: one new token, one more try.
                self.tokens.invalidate(token)
                continue
            break
        assert response is not None
        if 200 <= response.status_code < 300:
            return response
        raise error_from_response(response, what)

    def call_json(self, method: str, url: str, what: str, **kwargs) -> Any:
        """`call`, then decode a JSON body (PlatformProtocolError when it is not JSON)."""
        response = self.call(method, url, what, **kwargs)
        body = _decode_json(response)
        if body is None:
            raise PlatformProtocolError(f"{what}: the answer is not JSON")
        return body
