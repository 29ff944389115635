"""The HTTP layer both Directus transports share: auth, timeouts, and error mapping.

Every Directus error (``{"errors": [{"message", "extensions": {"code"}}]}``) becomes one of the
typed errors in ``app.errors``, carrying the server's message. Transport failures become
``NetworkError``. No message ever contains the token: it lives only in the request header.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
from typing import Any
from urllib.parse import urlsplit

import httpx

from app import __version__
from app.api.auth import Auth
from app.errors import (
    AuthenticationError,
    CertificateError,
    ForbiddenError,
    InboxError,
    InvalidInputError,
    NetworkError,
    NotFoundError,
    PayloadTooLargeError,
    ServerError,
)

DEFAULT_TIMEOUT = 15.0

AUTH_CODES = {"INVALID_CREDENTIALS", "TOKEN_EXPIRED", "INVALID_TOKEN", "INVALID_OTP", "USER_SUSPENDED", "UNAUTHORIZED"}
FORBIDDEN_CODES = {"FORBIDDEN", "LIMIT_EXCEEDED"}
INPUT_CODES = {
    "INVALID_PAYLOAD",
    "INVALID_QUERY",
    "FAILED_VALIDATION",
    "VALUE_OUT_OF_RANGE",
    "VALUE_TOO_LONG",
    "NOT_NULL_VIOLATION",
    "RECORD_NOT_UNIQUE",
    "INVALID_FOREIGN_KEY",
    "CONTAINS_NULL_VALUES",
    "INVALID_IP",
    "UNSUPPORTED_MEDIA_TYPE",
    "GRAPHQL_VALIDATION",
    "CONTENT_TOO_LARGE",
}


def normalise_url(url: str) -> str:
    """The server's base URL without a trailing slash; ``ValueError`` when it is not http(s)."""
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{url!r} is not an http(s) URL of a Directus server")
    return url


class DirectusClient:
    """One server, one httpx client, one auth. ``call`` returns the decoded JSON body (or None).

    ``tls`` is the SSL context to verify the server with (``None``: the system's CAs, or
    ``SSL_CERT_FILE``); the live inbox's WebSocket uses the same one.
    """

    def __init__(
        self,
        url: str,
        auth: Auth,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.url = normalise_url(url)
        self.auth = auth
        self.timeout = timeout
        self.tls = tls
        self._http = httpx.AsyncClient(
            base_url=self.url,
            timeout=timeout,
            transport=transport,
            verify=tls if tls is not None else True,
            headers={"User-Agent": f"directus-inbox/{__version__}", "Accept": "application/json"},
        )

    async def aclose(self) -> None:
        await self.auth.logout(self)
        await self._http.aclose()

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        authenticated: bool = True,
    ) -> Any:
        response = await self._send(method, path, params=params, json=json, authenticated=authenticated)
        expired = authenticated and response.status_code == 401 and _code(response) == "TOKEN_EXPIRED"
        if expired and await self.auth.renew(self):
            response = await self._send(method, path, params=params, json=json, authenticated=True)
        return self._decode(response)

    async def _send(
        self, method: str, path: str, *, params: dict[str, Any] | None, json: Any, authenticated: bool
    ) -> httpx.Response:
        headers = {}
        if authenticated:
            headers["Authorization"] = f"Bearer {await self.auth.access_token(self)}"
        try:
            return await self._http.request(method, path, params=params, json=json, headers=headers)
        except (httpx.ConnectTimeout, httpx.PoolTimeout):
            raise NetworkError(
                f"Cannot reach {self.url}: no connection within {self.timeout:g} s.", code="TIMEOUT", sent=False
            ) from None
        except httpx.TimeoutException:
            raise NetworkError(f"{self.url} did not answer within {self.timeout:g} s.", code="TIMEOUT") from None
        except (httpx.LocalProtocolError, UnicodeEncodeError):
            # Never quote these: their text holds the header that could not be sent (the token).
            raise NetworkError(
                "The request could not be sent: a header value is not valid HTTP.", code="INVALID_HEADER", sent=False
            ) from None
        except httpx.ConnectError as error:
            raise connect_error(self.url, error) from None
        except (httpx.UnsupportedProtocol, httpx.ProxyError) as error:
            raise NetworkError(f"Cannot reach {self.url}: {error}.", code="NETWORK", sent=False) from None
        except httpx.TransportError as error:
            # The request went out (or part of it): the server may have acted on it.
            raise NetworkError(f"Lost the connection to {self.url}: {_reason(error)}.", code="NETWORK") from None

    def _decode(self, response: httpx.Response) -> Any:
        if response.status_code == 204 or not response.content:
            if response.is_success:
                return None
            raise error_for(response.status_code, None, self.url)
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            if response.status_code == 413:
                raise PayloadTooLargeError("The request is larger than the server accepts.", status=413) from None
            raise ServerError(
                f"{self.url} answered HTTP {response.status_code} with something that is not "
                "Directus JSON; is this the Directus URL?",
                status=response.status_code,
            ) from None
        if isinstance(body, dict) and body.get("errors"):
            raise error_for(response.status_code, body["errors"], self.url)
        if not response.is_success:
            raise error_for(response.status_code, None, self.url)
        return body


def _code(response: httpx.Response) -> str | None:
    try:
        code = response.json()["errors"][0]["extensions"]["code"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    return code if isinstance(code, str) else None


def _reason(error: httpx.TransportError) -> str:
    text = str(error) or type(error).__name__
    if isinstance(error, httpx.RemoteProtocolError) and "without sending a response" in text:
        return "the server closed the connection without an answer"
    return text


def _causes(error: BaseException) -> list[BaseException]:
    """*error* and what it was raised from (httpx wraps httpcore, which wraps the socket's error)."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def connect_error(url: str, error: httpx.ConnectError) -> NetworkError:
    """Why a connection could not be made, in words; the request never left."""
    causes = _causes(error)
    verification = next((c for c in causes if isinstance(c, ssl.SSLCertVerificationError)), None)
    if verification is not None:
        detail = verification.verify_message or verification.reason or "verification failed"
        return CertificateError(f"Cannot reach {url}: its TLS certificate is not trusted ({detail}).")
    if any(isinstance(c, ssl.SSLError) for c in causes):
        return NetworkError(
            f"Cannot reach {url}: the TLS handshake failed ({error}); is the server speaking HTTPS on that port?",
            code="TLS",
            sent=False,
        )
    if any(isinstance(c, socket.gaierror) for c in causes):
        return NetworkError(f"Cannot reach {url}: its host name does not resolve.", code="DNS", sent=False)
    if any(isinstance(c, ConnectionRefusedError) for c in causes) or "refused" in str(error).lower():
        return NetworkError(f"Cannot reach {url}: connection refused.", code="REFUSED", sent=False)
    return NetworkError(f"Cannot reach {url}: {error or 'no connection'}.", code="NETWORK", sent=False)


def error_for(status: int, errors: list[dict[str, Any]] | None, url: str) -> InboxError:
    """The typed error for a Directus error answer."""
    first = errors[0] if isinstance(errors, list) and errors else {}
    first = first if isinstance(first, dict) else {}
    message = str(first.get("message") or f"HTTP {status}")
    extensions = first.get("extensions")
    extensions = extensions if isinstance(extensions, dict) else {}
    code = extensions.get("code") if isinstance(extensions.get("code"), str) else None
    if code == "GRAPHQL_VALIDATION":
        details = [str(e.get("message")) for e in extensions.get("errors") or [] if isinstance(e, dict)]
        if details:
            message = "; ".join(details)
    if status == 413 or "entity too large" in message.lower():
        return PayloadTooLargeError(
            f"The server refused a request this large ({message}); shorten the message.", code=code, status=status
        )
    if code in AUTH_CODES or status == 401:
        if code == "TOKEN_EXPIRED":
            message = "The access token expired."
        elif code == "INVALID_TOKEN":
            message = "The token is not a valid Directus token."
        elif code == "INVALID_CREDENTIALS":
            message = "The server did not accept these credentials."
        return AuthenticationError(message, code=code, status=status)
    if code == "GRAPHQL_VALIDATION" and ("Cannot query field" in message or "is not defined by type" in message):
        # Directus leaves out of the GraphQL schema what the user may not do.
        missing = re.search(r'(?:field|Field) "([^"]+)"', message)
        what = f' (your role\'s GraphQL schema has no "{missing.group(1)}")' if missing else ""
        return ForbiddenError(f"You are not allowed to do this{what}.", code="FORBIDDEN", status=status)
    if code in FORBIDDEN_CODES or status == 403:
        return ForbiddenError(message, code=code, status=status)
    if code == "ROUTE_NOT_FOUND" or (status == 404 and code is None):
        return ServerError(
            f"{url} has no such Directus endpoint ({message}); is this the Directus URL?", code=code, status=status
        )
    if status == 404:
        return NotFoundError(message, code=code, status=status)
    if code in INPUT_CODES or 400 <= status < 500:
        return InvalidInputError(message, code=code, status=status)
    return ServerError(f"The server failed: {message}", code=code, status=status)
