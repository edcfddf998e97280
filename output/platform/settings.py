"""Connection settings of one company's approved platform (PA): everything a real PA needs.

The AFNOR definitions give each API a templated base URL
(`https://{sub-domain}.{domain}/flow-service` and `.../directory-service`) and say only that the
bearer token "is retrieved by a call to a token URL"; the token URL and the credentials come from
the PA. So the four URLs-and-secrets below are all a company has to type, and the local platform
is just another set of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PlatformSettings:
    """Base URLs, OAuth2 client credentials and timeouts for one PA connection."""

    flow_base_url: str  # e.g. https://api.flow.example-pa.fr/flow-service
    directory_base_url: str  # e.g. https://api.directory.example-pa.fr/directory-service
    token_url: str  # OAuth2 token endpoint (client credentials grant)
    client_id: str
    client_secret: str = field(repr=False)
    scope: str = ""  # sent only when set; some PAs require one
    # RFC 6749 §2.3.1: HTTP Basic is the method servers MUST support; "post" puts the credentials
    # in the form body for the PAs that want that instead.
    token_auth_method: str = "basic"  # "basic" | "post"
    connect_timeout: float = 5.0  # seconds to open the TCP/TLS connection
    read_timeout: float = 30.0  # seconds to wait for an answer (a submission may carry a 10 MB PDF)
    token_refresh_margin: float = 30.0  # renew the token this many seconds before it expires

    def __post_init__(self):
        for name in ("flow_base_url", "directory_base_url", "token_url", "client_id", "client_secret"):
            if not getattr(self, name):
                raise ValueError(f"{name} is required")
        if self.token_auth_method not in ("basic", "post"):
            raise ValueError("token_auth_method must be 'basic' or 'post'")
        if self.connect_timeout <= 0 or self.read_timeout <= 0:
            raise ValueError("timeouts must be positive")

    @property
    def timeout(self) -> tuple[float, float]:
        """The (connect, read) pair requests expects."""
        return (self.connect_timeout, self.read_timeout)
