"""API keys for integrators: created and revoked by administrators, checked on every API request.

A key looks like ``cok_<prefix>_<secret>``. The prefix is stored in clear so a key can be found and named
("revoke cok_3f9a…"); the secret is shown once, when the key is created, and only its SHA-256 digest is kept.
The secret has ~238 bits of entropy, so a plain (unsalted, fast) digest is enough: there is nothing to
brute-force, and a fast digest keeps per-request authentication cheap.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cityops.core import audit
from cityops.core.choices import AuditVerbs, Role
from cityops.core.models import ApiKey, Organization, User
from cityops.core.permissions import memberships_of, user_has_role
from cityops.core.text import nfc

__all__ = [
    "KEY_PREFIX",
    "apikey_authenticate",
    "apikey_create",
    "apikey_revoke",
    "apikey_touch",
    "can_manage_apikeys",
]

KEY_PREFIX = "cok"
PREFIX_LENGTH = 12
SECRET_LENGTH = 40
MAX_KEY_LENGTH = 128  # anything longer is not one of ours; rejected before any work is done
LAST_USED_RESOLUTION = timedelta(minutes=1)
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits
_KEY_PATTERN = re.compile(rf"^{KEY_PREFIX}_([a-z0-9]{{{PREFIX_LENGTH}}})_([A-Za-z0-9]{{{SECRET_LENGTH}}})$")
_ADMIN_ROLES = (Role.ADMINISTRATOR,)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def can_manage_apikeys(actor: Any, organization: Organization | None = None) -> bool:
    """Only administrators (or superusers) manage keys, and only for organisations they administer."""
    return bool(getattr(actor, "is_authenticated", False)) and user_has_role(actor, _ADMIN_ROLES, organization)


def _actor_reaches_all_of(actor: Any, user: User) -> bool:
    """True when every organisation ``user`` belongs to is administered by ``actor``.

    A key acts with all of its user's rights, so minting one must not hand the actor more than they
    already administer (an agency administrator cannot make a key for a provincial leader).
    """
    if getattr(actor, "is_superuser", False) and actor.is_active:
        return True
    if user.is_superuser:
        return False
    admin_paths = [path for role, path, _id in memberships_of(actor) if role in _ADMIN_ROLES]
    return all(any(path.startswith(mine) for mine in admin_paths) for _role, path, _id in memberships_of(user))


@transaction.atomic
def apikey_create(
    *,
    actor: Any,
    name: str,
    user: User,
    organization: Organization,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """Issue a key that acts as ``user`` on behalf of ``organization``; returns the key and its secret.

    The clear key is returned once and never stored; the audit event names the key by its prefix only.
    """
    if not can_manage_apikeys(actor, organization):
        raise PermissionDenied(_("Only an administrator of this organisation can create API keys."))
    name = nfc(name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors.setdefault("name", []).append(_("Give the key a name."))
    if not user.is_active:
        errors.setdefault("user", []).append(_("This account is not active."))
    elif not _actor_reaches_all_of(actor, user):
        raise PermissionDenied(_("You cannot create a key for an account with rights beyond yours."))
    user_paths = [path for _role, path, _id in memberships_of(user)]
    if not user.is_superuser and not any(path.startswith(organization.path) for path in user_paths):
        errors.setdefault("user", []).append(_("The account is not a member of this organisation."))
    if expires_at is not None and expires_at <= timezone.now():
        errors.setdefault("expires_at", []).append(_("The expiry time must be in the future."))
    if errors:
        raise ValidationError(errors)

    prefix = _random(_PREFIX_ALPHABET, PREFIX_LENGTH)
    while ApiKey.objects.filter(prefix=prefix).exists():  # pragma: no cover - 36**12 makes this vanishingly rare
        prefix = _random(_PREFIX_ALPHABET, PREFIX_LENGTH)
    secret = _random(_SECRET_ALPHABET, SECRET_LENGTH)
    api_key = ApiKey(
        name=name,
        prefix=prefix,
        digest=_digest(secret),
        user=user,
        organization=organization,
        created_by=actor if getattr(actor, "pk", None) else None,
        expires_at=expires_at,
    )
    api_key.full_clean()
    api_key.save()
    audit.record(
        verb=AuditVerbs.APIKEY_CREATED,
        actor=actor,
        target=api_key,
        organization=organization,
        data={
            "name": api_key.name,
            "prefix": api_key.prefix,
            "user": user.username,
            "expires_at": expires_at,
        },
    )
    return api_key, f"{KEY_PREFIX}_{prefix}_{secret}"


@transaction.atomic
def apikey_revoke(*, actor: Any, api_key: ApiKey) -> ApiKey:
    """Stop a key from working at once; revoking an already revoked key changes nothing."""
    if not can_manage_apikeys(actor, api_key.organization):
        raise PermissionDenied(_("Only an administrator of this organisation can revoke API keys."))
    locked = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    if locked.revoked_at is not None:
        return locked
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at", "updated_at"])
    audit.record(
        verb=AuditVerbs.APIKEY_REVOKED,
        actor=actor,
        target=locked,
        organization=locked.organization,
        data={"name": locked.name, "prefix": locked.prefix, "user": locked.user.username},
    )
    api_key.revoked_at = locked.revoked_at
    return locked


def apikey_authenticate(raw: Any) -> ApiKey | None:
    """The active key matching ``raw``, or None for anything else (garbage never reaches the database)."""
    if not isinstance(raw, str) or len(raw) > MAX_KEY_LENGTH:
        return None
    match = _KEY_PATTERN.match(raw.strip())
    if match is None:
        return None
    prefix, secret = match.groups()
    api_key = ApiKey.objects.select_related("user", "organization").filter(prefix=prefix).first()
    # Compare a digest even when no key has this prefix, so timing does not tell which prefixes exist.
    expected = api_key.digest if api_key is not None else "0" * 64
    if not hmac.compare_digest(expected, _digest(secret)) or api_key is None:
        return None
    if not api_key.is_active or not api_key.user.is_active or not api_key.organization.is_active:
        return None
    return api_key


def apikey_touch(api_key: ApiKey) -> None:
    """Record that a key was used, at most once a minute, in one conditional UPDATE (no audit event).

    Usage bookkeeping is not a change of state anyone acts on, and writing on every request would turn
    each API read into a write.
    """
    now = timezone.now()
    if api_key.last_used_at is not None and now - api_key.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiKey.objects.filter(pk=api_key.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now)
    api_key.last_used_at = now
