"""python -m security hash-password | check"""

from __future__ import annotations

import argparse
import getpass
import sys

from werkzeug.security import generate_password_hash

from .audit import AuditLog
from .settings import MAX_USER_CHARS, REDIS_SCHEMES, ConfigError, Settings, load_users


def _cmd_hash(args: argparse.Namespace) -> int:
    user = args.user or input("User name: ").strip()
    if not user or ":" in user or not user.isprintable() or len(user) > MAX_USER_CHARS:
        print("the user name must be printable text without ':'", file=sys.stderr)
        return 2
    if args.stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat: ") != password:
            print("the passwords differ", file=sys.stderr)
            return 2
    if len(password) < args.min_length:
        print(f"the password is too short (at least {args.min_length} characters)", file=sys.stderr)
        return 2
    method = "scrypt" if args.method == "scrypt" else "pbkdf2:sha256:600000"
    print(f"{user}:{generate_password_hash(password, method=method)}")
    return 0


def _throttle_store(s: Settings) -> str:
    if s.throttle_store.startswith(REDIS_SCHEMES):
        return "Redis (TRIAL_THROTTLE_STORE)"  # the URL may hold a password
    return s.throttle_store


def _describe(s: Settings, users: int) -> list[str]:
    auth = f"auth: {s.auth}"
    if s.auth == "basic":
        auth += f" ({users} users; sign-in throttle in {_throttle_store(s)})"
    if s.auth == "header":
        auth += f" (header {s.auth_header} from {', '.join(s.trusted_proxies)})"
    hops = (
        f"client address from X-Forwarded-For, {s.proxy_hops} hop(s), when sent by "
        f"{', '.join(s.trusted_proxies)}"
        if s.proxy_hops
        else "client address: the TCP peer"
    )
    uploads = (
        f"on, up to {s.max_upload_bytes / 1024 / 1024:g} MB, deleted after "
        f"{s.upload_ttl_minutes:g} min without use, kept in "
        f"{s.upload_dir or 'a new temporary folder'}"
        if s.uploads
        else "off"
    )
    return [
        auth,
        hops,
        f"audit log: {s.audit_log or 'off'}",
        f"max request: {s.max_request_bytes / 1024 / 1024:g} MB",
        f"uploads: {uploads}",
        f"secret key: {'from TRIAL_SECRET_KEY' if s.secret_key else 'random per process'}",
        f"HSTS: {'on' if s.hsts else 'off'}",
    ]


def _cmd_check(_args: argparse.Namespace) -> int:
    try:
        s = Settings.from_env()
        users = len(load_users(s.users_file)) if s.auth == "basic" and s.users_file else 0
        if s.audit_log:
            AuditLog(s.audit_log).check_writable()
    except ConfigError as e:
        print(f"invalid: {e}", file=sys.stderr)
        return 2
    print("\n".join(_describe(s, users)))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m security", description="Security tools of the trial dashboard."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("hash-password", help="print a username:hash line for TRIAL_USERS_FILE")
    p.add_argument("--user", help="user name (asked if not given)")
    p.add_argument("--method", choices=("scrypt", "pbkdf2"), default="scrypt")
    p.add_argument("--stdin", action="store_true", help="read the password from standard input")
    p.add_argument("--min-length", type=int, default=12, help=argparse.SUPPRESS)
    p.set_defaults(func=_cmd_hash)
    p = sub.add_parser("check", help="check the security settings of the environment")
    p.set_defaults(func=_cmd_check)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (KeyboardInterrupt, EOFError):
        print("interrupted", file=sys.stderr)
        return 130
