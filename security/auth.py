"""Authentication of every request: HTTP Basic against a file of password hashes (throttled, see
throttle.py), or a user header set by a trusted single sign-on proxy."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

import flask
from werkzeug.security import check_password_hash, generate_password_hash

from .audit import USER_ATTRIBUTE
from .errors import plain
from .logs import log
from .proxies import TrustedProxies
from .settings import MAX_USER_CHARS, ConfigError, Settings, load_users
from .throttle import SignInThrottle, open_storage

MAX_CREDENTIALS_CHARS = 4096  # longer Authorization headers are refused, not decoded
CACHE_SECONDS = 300  # a verified password is not re-hashed on every request for this long
CACHE_SIZE = 256
CHALLENGE = {"WWW-Authenticate": 'Basic realm="Trial dashboard", charset="UTF-8"'}


def parse_basic(header: str | None) -> tuple[str, str] | None:
    """(user, password) from an `Authorization: Basic ...` header, or None if malformed."""
    if not header or len(header) > MAX_CREDENTIALS_CHARS:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic" or not token.strip():
        return None
    try:
        raw = base64.b64decode(token.strip(), validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    user, sep, password = text.partition(":")
    if not sep or not user or len(user) > MAX_USER_CHARS or not user.isprintable():
        return None
    return user, password


def valid_user_name(user: str) -> bool:
    return bool(user) and len(user) <= MAX_USER_CHARS and user.isprintable()


class Passwords:
    """The users file's hashes, checked in constant time, with a short per-process memory of
    verified passwords (kept as HMACs with a per-process key) so that the page's many requests
    do not each pay for scrypt."""

    def __init__(self, users: dict[str, str]):
        self.users = users
        self._key = secrets.token_bytes(32)
        self._verified: OrderedDict[bytes, tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()
        # A real hash to check against for unknown users, so that they take as long as known ones.
        self._dummy_hash = generate_password_hash(secrets.token_hex(16))

    def _fingerprint(self, user: str, password: str) -> bytes:
        return hmac.new(
            self._key, f"{user}\0{password}".encode("utf-8", "surrogatepass"), hashlib.sha256
        ).digest()

    def recently_verified(self, user: str, password: str) -> bool:
        key = self._fingerprint(user, password)
        with self._lock:
            hit = self._verified.get(key)
            return hit is not None and time.monotonic() - hit[1] < CACHE_SECONDS

    def check(self, user: str, password: str) -> bool:
        hashed = self.users.get(user)
        ok = check_password_hash(hashed or self._dummy_hash, password) and hashed is not None
        if ok:
            key = self._fingerprint(user, password)
            with self._lock:
                self._verified[key] = (user, time.monotonic())
                self._verified.move_to_end(key)
                while len(self._verified) > CACHE_SIZE:
                    self._verified.popitem(last=False)
        return ok


def _throttled(seconds: int) -> flask.Response:
    return plain(429, {"Retry-After": str(seconds)})


class BasicSignIn:
    """TRIAL_AUTH=basic: the user of a request's Basic credentials, within the throttle."""

    def __init__(self, passwords: Passwords, throttle: SignInThrottle, proxies: TrustedProxies):
        self.passwords = passwords
        self.throttle = throttle
        self.proxies = proxies

    def __call__(self) -> flask.Response | None:
        credentials = parse_basic(flask.request.headers.get("Authorization"))
        if credentials is None:  # absent or malformed: refused at no cost, nothing counted
            return plain(401, CHALLENGE)
        user, password = credentials
        refusal = self._sign_in(user, password, self.proxies.client_of_request())
        if refusal is None:
            setattr(flask.g, USER_ATTRIBUTE, user)
        return refusal

    def _sign_in(self, user: str, password: str, client: str) -> flask.Response | None:
        wait = self.throttle.refused(user, client)
        if wait is not None:  # reads only, not logged: a flood of these costs nothing
            return _throttled(wait)
        if self.passwords.recently_verified(user, password):
            return None
        wait = self.throttle.reserve(user, client)
        if wait is not None:
            log.warning("sign-in throttled from %s (retry after %s s)", client, wait)
            return _throttled(wait)
        if not self.passwords.check(user, password):
            self.throttle.failed(user, client)
            log.warning("failed sign-in from %s", client)
            return plain(401, CHALLENGE)
        self.throttle.succeeded(user, client)
        return None


class HeaderSignIn:
    """TRIAL_AUTH=header: the user named by a header that only the trusted proxy may set."""

    def __init__(self, header: str, proxies: TrustedProxies):
        self.header = header
        self.proxies = proxies

    def __call__(self) -> flask.Response | None:
        req = flask.request
        if not self.proxies.trusts(req.remote_addr):
            log.warning("refused: request not from a trusted proxy (remote %s)", req.remote_addr)
            return plain(403)
        user = (req.headers.get(self.header) or "").strip()
        if not valid_user_name(user):
            return plain(401)
        setattr(flask.g, USER_ATTRIBUTE, user)
        return None


def sign_in(settings: Settings) -> Callable[[], flask.Response | None] | None:
    """The sign-in check of `settings.auth` (None: authentication off)."""
    proxies = TrustedProxies(settings.trusted_proxies, settings.proxy_hops)
    if settings.auth == "header":
        return HeaderSignIn(settings.auth_header, proxies)
    if settings.auth == "basic":
        if settings.users_file is None:
            raise ConfigError("TRIAL_AUTH=basic needs TRIAL_USERS_FILE")
        return BasicSignIn(
            Passwords(load_users(settings.users_file)),
            SignInThrottle(open_storage(settings.throttle_store)),
            proxies,
        )
    return None


def authenticator(settings: Settings) -> Callable[[], flask.Response | None]:
    """The before_request hook that runs first on every route: pages, callbacks, layout,
    assets, component suites, exports and any route added later."""
    check = sign_in(settings)

    def authenticate() -> flask.Response | None:
        req = flask.request
        # Cross-site POSTs (CSRF with the browser's remembered credentials) are refused.
        if (
            req.method not in ("GET", "HEAD", "OPTIONS")
            and req.headers.get("Sec-Fetch-Site", "") == "cross-site"
        ):
            return plain(403)
        return check() if check is not None else None

    return authenticate
