"""The keys of the organizers' pages: an HMAC of the meeting and the page under WEB_SECRET.

A key opens one page of one meeting; changing WEB_SECRET revokes every key given so far.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

#: The pages that need a key.
SCREEN, DASHBOARD = "screen", "dashboard"
PAGES = (SCREEN, DASHBOARD)


def page_key(secret: str, slug: str, page: str) -> str:
    """The key of `page` for the meeting `slug` (URL-safe, 43 characters)."""
    if page not in PAGES:
        raise ValueError(f"No key for the page {page!r}")
    digest = hmac.new(secret.encode(), f"amphi-web\n{slug}\n{page}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def key_matches(secret: str | None, slug: str, page: str, key: str | None) -> bool:
    """Whether `key` opens `page` of `slug`; never without a secret or a key."""
    if not secret or not key or page not in PAGES:
        return False
    return hmac.compare_digest(page_key(secret, slug, page).encode(), key.encode())
