"""Typed errors of the platform connection, one per thing the domain can do about it.

| error                | the domain should                                                  |
|----------------------|--------------------------------------------------------------------|
| PlatformUnavailable  | retry later with back-off (nothing reached the platform, or it 5xx'd)|
| PlatformTimeout      | NOT re-send blindly: look the trackingId up first (it may be there) |
| RateLimited          | wait `retry_after` seconds, then retry                              |
| AuthenticationFailed | stop and ask the company to fix its platform credentials            |
| RequestRejected      | not retry the same request: show the platform's reason              |
| PlatformProtocolError| retry later; report it (the platform answered something unusable)   |

Each error carries `message_fr`, a short sentence for the artisan; `str(error)` is the technical
detail for the logs. No error ever contains the client secret or a token.
"""

from __future__ import annotations


class PlatformError(Exception):
    """Base class: something went wrong talking to the approved platform (PA)."""

    message_fr = "La plateforme de facturation électronique n'a pas pu traiter la demande."

    def __init__(self, detail: str = "", *, status: int | None = None):
        super().__init__(detail or self.message_fr)
        self.status = status


class PlatformUnavailable(PlatformError):
    """Connection refused, DNS failure, TLS failure, or a 5xx answer: nothing was done, retry later."""

    message_fr = ("La plateforme de facturation électronique est injoignable pour le moment. "
                  "Un nouvel essai sera fait automatiquement.")

    def __init__(self, detail: str = "", *, status: int | None = None, retry_after: float | None = None):
        super().__init__(detail, status=status)
        self.retry_after = retry_after


class PlatformTimeout(PlatformError):
    """The platform did not answer in time. The request may have been accepted all the same.

    For a submission, look the trackingId up (`PlatformClient.find_by_tracking_id`) before sending
    again; `submit_flow_once` does exactly that.
    """

    message_fr = ("La plateforme n'a pas répondu à temps. L'envoi a peut-être été pris en compte : "
                  "il sera vérifié avant tout nouvel envoi.")
    may_have_been_accepted = True


class RateLimited(PlatformError):
    """HTTP 429: too many requests; `retry_after` is the delay the platform asked for, in seconds."""

    def __init__(self, detail: str = "", *, retry_after: float | None = None):
        super().__init__(detail, status=429)
        self.retry_after = retry_after

    @property
    def message_fr(self) -> str:  # type: ignore[override]
        if self.retry_after:
            return (f"La plateforme reçoit trop de demandes. Nouvel essai dans "
                    f"{round(self.retry_after)} s.")
        return "La plateforme reçoit trop de demandes. Nouvel essai dans quelques instants."


class AuthenticationFailed(PlatformError):
    """The token endpoint refused the credentials, or the API refused a fresh token."""

    message_fr = ("La plateforme refuse les identifiants de connexion. Vérifiez l'identifiant client "
                  "et le secret dans les paramètres de facturation électronique.")


class RequestRejected(PlatformError):
    """A 4xx answer (other than 401/429): the request itself is wrong; sending it again will not help.

    `error_code` and `error_message` are the platform's (schema Error of the definition, or the
    problem+json of the Directory Service); `body` is the raw decoded body when it was JSON.
    """

    def __init__(self, detail: str = "", *, status: int, error_code: str = "", error_message: str = "",
                 body: object = None):
        super().__init__(detail, status=status)
        self.error_code = error_code
        self.error_message = error_message
        self.body = body

    @property
    def message_fr(self) -> str:  # type: ignore[override]
        if self.status == 404:
            return "La plateforme ne trouve pas l'élément demandé."
        if self.status == 413:
            return "Le fichier est trop volumineux pour la plateforme."
        reason = self.error_message or self.error_code
        if reason:
            return f"La plateforme a refusé la demande : {reason}."
        return "La plateforme a refusé la demande."


class NotFound(RequestRejected):
    """HTTP 404 from the platform (unknown flow, SIREN absent from the directory...)."""


class PlatformProtocolError(PlatformError):
    """The platform answered, but not in a form the definition allows (not JSON, paging stuck...)."""

    message_fr = ("La plateforme a renvoyé une réponse inattendue. Un nouvel essai sera fait "
                  "automatiquement ; si cela se répète, contactez le support.")
