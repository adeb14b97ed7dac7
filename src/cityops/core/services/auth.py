"""Authentication rules and the writes around signing in: audit of logins, two-factor devices, passwords.

Views call these functions; nothing here is triggered by signals, so each state change and its audit event
happen in one place and one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from cityops.core import audit
from cityops.core.choices import AuditVerbs, Role
from cityops.core.models import RolePolicy, User
from cityops.core.permissions import memberships_of
from cityops.core.text import nfc

__all__ = [
    "TOTP_DEVICE_NAME",
    "TwoFactorResult",
    "login_failed",
    "login_succeeded",
    "logout_recorded",
    "password_change",
    "profile_update",
    "requires_two_factor",
    "role_policy_set",
    "two_factor_confirm",
    "two_factor_enrolment_device",
    "two_factor_qr_svg",
    "two_factor_remove",
    "two_factor_secret",
    "two_factor_state",
    "two_factor_verify",
]

TOTP_DEVICE_NAME = "Authenticator app"
# What an audit event keeps of a username someone typed: enough to recognise it, never a flood of bytes.
_USERNAME_AUDIT_LIMIT = 150


def requires_two_factor(user: Any) -> bool:
    """True when any role the user holds is set to require two-factor authentication."""
    roles = {role for role, _path, _id in memberships_of(user)}
    if getattr(user, "is_superuser", False):
        roles.add(Role.ADMINISTRATOR)
    if not roles:
        return False
    return RolePolicy.objects.filter(role__in=roles, require_two_factor=True).exists()


def two_factor_state(user: Any, *, verified: bool) -> Literal["ok", "must_verify", "must_enrol"]:
    """What the user must do about two-factor before using the product."""
    from django_otp import user_has_device

    if verified:
        return "ok"
    if user_has_device(user, confirmed=True):
        return "must_verify"
    if requires_two_factor(user):
        return "must_enrol"
    return "ok"


# --- Log in and out -------------------------------------------------------------------------------------


def login_succeeded(*, user: User, two_factor_pending: bool = False) -> None:
    """Audit a correct username and password, so who signed in from where is on record."""
    audit.record(
        verb=AuditVerbs.LOGIN_SUCCEEDED,
        actor=user,
        target=user,
        data={"two_factor_pending": two_factor_pending},
    )


def login_failed(*, username: str, reason: str, user: User | None = None) -> None:
    """Audit a refused sign-in attempt: the username typed (trimmed) and why, never the password.

    ``reason`` is a short code: ``invalid_credentials``, ``locked_out``, ``invalid_input``, ``inactive`` or
    ``invalid_token`` (wrong two-factor code).
    """
    # Control characters (a NUL cannot even be stored by PostgreSQL) are dropped from what was typed.
    typed = "".join(ch for ch in nfc((username or "")[:_USERNAME_AUDIT_LIMIT]) if ch.isprintable())
    audit.record(
        verb=AuditVerbs.LOGIN_FAILED,
        actor=user,
        target=user,
        actor_label=typed,
        data={"username": typed, "reason": reason},
    )


def logout_recorded(*, user: Any) -> None:
    """Audit a sign-out (called before the session is cleared, while the user is still known)."""
    if getattr(user, "is_authenticated", False):
        audit.record(verb=AuditVerbs.LOGOUT, actor=user, target=user)


# --- Two-factor (TOTP) ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TwoFactorResult:
    """Outcome of checking a code: ``ok``, or the reason it was refused (``invalid`` or ``throttled``)."""

    ok: bool
    reason: str = ""
    device: Any = None


@transaction.atomic
def two_factor_enrolment_device(*, user: User) -> Any:
    """The unconfirmed TOTP device being set up for ``user``, created with a fresh secret if there is none.

    Kept between page loads so reloading the set-up page does not invalidate a QR code already scanned.
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
        device.full_clean()
        device.save()
    return device


def two_factor_qr_svg(device: Any) -> str:
    """The device's otpauth:// URL as an inline SVG QR code, drawn server-side (no image library, no CDN)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = image.to_string(encoding="unicode")
    # The SVG is generated here from a URL we built, never from user input; strip the XML declaration.
    if svg.startswith("<?xml"):
        svg = svg[svg.index("?>") + 2 :]
    return svg.strip()


def two_factor_secret(device: Any) -> str:
    """The secret in base32, grouped by four, for people who type it into the app instead of scanning."""
    from base64 import b32encode

    raw = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def _check_token(device: Any, token: str) -> TwoFactorResult:
    allowed, _info = device.verify_is_allowed()
    if not allowed:
        return TwoFactorResult(ok=False, reason="throttled")
    # verify_token refuses a code already used (it remembers the last time step) and counts failures.
    if device.verify_token(token):
        return TwoFactorResult(ok=True, device=device)
    return TwoFactorResult(ok=False, reason="invalid")


def two_factor_confirm(*, request: HttpRequest, user: User, token: str) -> TwoFactorResult:
    """Confirm the device being set up with a code from the app; on success the session counts as verified."""
    import django_otp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("id").first()
        if device is None:
            return TwoFactorResult(ok=False, reason="no_device")
        result = _check_token(device, token)
        if not result.ok:
            return result
        # One authenticator per person: the new one replaces any older confirmed device.
        TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
        TOTPDevice.objects.filter(user=user, confirmed=False).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit.record(
            verb=AuditVerbs.TWO_FACTOR_ENROLLED,
            actor=user,
            target=user,
            data={"device": device.persistent_id},
        )
    django_otp.login(request, device)
    return TwoFactorResult(ok=True, device=device)


def two_factor_verify(*, request: HttpRequest, user: User, token: str) -> TwoFactorResult:
    """Check a code against the user's confirmed devices and mark the session verified (``django_otp.login``)."""
    import django_otp
    from django_otp import devices_for_user

    with transaction.atomic():
        devices = list(devices_for_user(user, confirmed=True, for_verify=True))
        result = TwoFactorResult(ok=False, reason="invalid")
        for device in devices:
            result = _check_token(device, token)
            if result.ok:
                break
        if not devices:
            result = TwoFactorResult(ok=False, reason="no_device")
    if result.ok:
        django_otp.login(request, result.device)
    else:
        login_failed(username=user.get_username(), reason="invalid_token", user=user)
    return result


@transaction.atomic
def two_factor_remove(*, user: User, password: str) -> None:
    """Remove every two-factor device of ``user`` after re-checking the password; raises ValidationError."""
    from django_otp import devices_for_user

    if not password or len(password) > 1024 or not user.check_password(password):
        raise ValidationError({"password": _("The password is not correct.")}, code="invalid_password")
    removed = []
    for device in devices_for_user(user, confirmed=None):
        removed.append(device.persistent_id)
        device.delete()
    if removed:
        audit.record(verb=AuditVerbs.TWO_FACTOR_REMOVED, actor=user, target=user, data={"devices": removed})


@transaction.atomic
def role_policy_set(*, actor: Any, role: str, require_two_factor: bool) -> RolePolicy:
    """Create or change the security policy of one role (the admin site calls this)."""
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    policy = RolePolicy.objects.select_for_update().filter(role=role).first()
    before = {"require_two_factor": policy.require_two_factor} if policy else {}
    if policy is None:
        policy = RolePolicy(role=role)
    policy.require_two_factor = bool(require_two_factor)
    policy.full_clean()
    policy.save()
    audit.record(
        verb=AuditVerbs.ROLE_POLICY_UPDATED,
        actor=actor,
        target=policy,
        data={"role": role, "old": before, "new": {"require_two_factor": policy.require_two_factor}},
    )
    return policy


# --- Password and profile -------------------------------------------------------------------------------


@transaction.atomic
def password_change(*, user: User, new_password: str) -> User:
    """Set a person's own new password (already checked by the form's validators) and audit it.

    The caller keeps the session alive with ``update_session_auth_hash``; other sessions of the person are
    signed out because the session hash changes.
    """
    from django.contrib.auth.password_validation import validate_password

    validate_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit.record(verb=AuditVerbs.PASSWORD_CHANGED, actor=user, target=user)
    return user


def profile_update(*, user: User, full_name: str, phone: str, language: str) -> User:
    """A person edits their own name, phone and language; delegates to ``user_update`` for the audit."""
    from cityops.core.services.organizations import user_update

    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Unknown language.")})
    return user_update(actor=user, user=user, full_name=full_name, phone=phone, language=language)
