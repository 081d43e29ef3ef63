"""Issue a signed token for a caller of the APIs (operators, developers).

Run: ``zw-issue-token --sub alice --role official --province 31 --ttl 8h`` with the same
AUTH_TOKEN_SECRET (and ENVIRONMENT, AUTH_TOKEN_ISSUER, AUTH_TOKEN_AUDIENCE) as the services;
prints the token on stdout. Send it as ``Authorization: Bearer <token>``. Exit 2 on a bad
argument or a missing secret outside development.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import timedelta

from pydantic import ValidationError

from zw_shared.auth import Role, auth_settings_or_exit, issue_token

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_TTL = timedelta(days=30)  # a token cannot be revoked: keep its life short


def parse_ttl(text: str) -> timedelta:
    """``90s``, ``30m``, ``8h`` or ``7d``."""
    match = re.fullmatch(r"(\d+)([smhd])", text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 30m, 8h or 7d")
    ttl = timedelta(seconds=int(match[1]) * UNITS[match[2]])
    if not timedelta(0) < ttl <= MAX_TTL:
        raise argparse.ArgumentTypeError(f"a token lives more than 0s and at most {MAX_TTL.days}d")
    return ttl


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zw-issue-token", description=__doc__.split("\n")[0])
    parser.add_argument("--sub", required=True, help="the actor's id (a facility, a user)")
    parser.add_argument("--role", required=True, choices=[role.value for role in Role])
    parser.add_argument("--province", help="two-digit GB/T 2260 code; required for officials")
    parser.add_argument("--ttl", type=parse_ttl, default=timedelta(hours=8), help="e.g. 8h")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    settings = auth_settings_or_exit()
    try:
        token = issue_token(settings, args.sub, args.role, args.province, args.ttl)
    except ValidationError as exc:
        reasons = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        print(f"zw-issue-token: {reasons}", file=sys.stderr)
        raise SystemExit(2) from None
    print(token)


if __name__ == "__main__":
    main()
