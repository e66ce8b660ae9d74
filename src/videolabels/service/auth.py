"""Subscription keys and access tokens, the way Video Indexer hands them out.

A client trades its subscription key (`Ocp-Apim-Subscription-Key`) for an access
token scoped to one account (or one video of it) and valid for an hour, then sends the
token with every call. Tokens are HS256 JWTs signed with a secret kept in the data
dir: existing clients decode Video Indexer's JWTs to read `exp` and refresh early, and
nothing has to be stored per token. Restarting the server keeps tokens valid; deleting
`secret.key` revokes them all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import not_allowed, unauthorized

Clock = Callable[[], float]

SECRET_FILE = "secret.key"
API_KEY_FILE = "api_key"
ISSUER = "videolabels"


@dataclass(frozen=True)
class Keys:
    api_keys: tuple[str, ...]
    secret: bytes
    #: The key made on this start, to be shown once; None when configured or reused.
    generated: str | None = None


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _read_or_create(path: Path, make: Callable[[], bytes]) -> tuple[bytes, bool]:
    try:
        return path.read_bytes(), False
    except FileNotFoundError:
        pass
    try:
        _write_private(path, make())
        return path.read_bytes(), True
    except FileExistsError:  # another process won the race; use its value
        return path.read_bytes(), False


def load_keys(data_dir: Path, configured: list[str]) -> Keys:
    """The signing secret, and the accepted subscription keys: the configured ones, or
    else one generated on first start and kept (mode 0600) in the data dir."""
    data_dir.mkdir(parents=True, exist_ok=True)
    secret, _ = _read_or_create(data_dir / SECRET_FILE, lambda: secrets.token_bytes(32))
    if configured:
        return Keys(tuple(configured), secret)
    raw, created = _read_or_create(data_dir / API_KEY_FILE, lambda: secrets.token_hex(16).encode())
    key = raw.decode().strip()
    return Keys((key,), secret, generated=key if created else None)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_HEADER = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())


@dataclass(frozen=True)
class Token:
    account_id: str
    allow_edit: bool
    expires: float
    video_id: str | None = None


class TokenService:
    def __init__(self, keys: Keys, ttl_seconds: int, clock: Clock = time.time) -> None:
        self.keys = keys
        self.ttl = ttl_seconds
        self.clock = clock

    def check_key(self, key: str | None) -> None:
        if not key:
            raise unauthorized("Missing subscription key: send it in the Ocp-Apim-Subscription-Key header.")
        if not any(hmac.compare_digest(key.encode(), k.encode()) for k in self.keys.api_keys):
            raise unauthorized("Access denied due to invalid subscription key.")

    def issue(self, location: str, account_id: str, allow_edit: bool, video_id: str | None = None) -> str:
        now = int(self.clock())
        claims: dict[str, object] = {
            "Version": "2.0.0.0",
            "AccountId": account_id,
            "AllowEdit": "True" if allow_edit else "False",
            "Permission": "Contributor" if allow_edit else "Reader",
            "Scope": "Video" if video_id else "Account",
            "IssuerLocation": location,
            "nbf": now,
            "exp": now + self.ttl,
            "iss": ISSUER,
            "aud": ISSUER,
        }
        if video_id:
            claims["VideoId"] = video_id
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = f"{_HEADER}.{payload}"
        return f"{signing_input}.{self._sign(signing_input)}"

    def _sign(self, signing_input: str) -> str:
        return _b64(hmac.new(self.keys.secret, signing_input.encode(), hashlib.sha256).digest())

    def verify(self, token: str | None, account_id: str, *, edit: bool = False, video_id: str | None = None) -> Token:
        """The token's claims, if it is genuine, current, and covers this account (and
        video); raises the Video Indexer error otherwise."""
        if not token:
            raise unauthorized("Missing access token: pass accessToken or an Authorization: Bearer header.")
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != _HEADER:
            raise unauthorized("Access token is malformed.")
        if not hmac.compare_digest(parts[2], self._sign(f"{parts[0]}.{parts[1]}")):
            raise unauthorized("Access token signature is invalid.")
        try:
            claims = json.loads(_unb64(parts[1]))
            parsed = Token(
                account_id=str(claims["AccountId"]),
                allow_edit=claims.get("AllowEdit") == "True",
                expires=float(claims["exp"]),
                video_id=claims.get("VideoId"),
            )
        except (ValueError, KeyError, TypeError):
            raise unauthorized("Access token is malformed.") from None
        if self.clock() >= parsed.expires:
            raise unauthorized("Access token has expired; request a new one.")
        if parsed.account_id.lower() != account_id.lower():
            raise not_allowed("Access token is for another account.")
        if parsed.video_id is not None and (video_id is None or parsed.video_id != video_id):
            raise not_allowed("Access token is scoped to another video.")
        if edit and not parsed.allow_edit:
            raise not_allowed("Access token is read-only (allowEdit=false).")
        return parsed
