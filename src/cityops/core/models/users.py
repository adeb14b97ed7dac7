"""People, their memberships of organisations with roles, and per-role security settings."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from cityops.core.choices import Role
from cityops.core.models.base import TimeStampedModel


class User(AbstractUser):
    """A person (official, citizen) or a service account used by an integrator."""

    full_name = models.CharField(_("full name"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    job_title = models.CharField(_("job title"), max_length=255, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=[("vi", "Tiếng Việt"), ("en", "English")], default="vi"
    )
    is_service_account = models.BooleanField(_("service account"), default=False)

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.get_full_name() or self.username

    @property
    def display_name(self) -> str:
        return str(self)


class Membership(TimeStampedModel):
    """A person holds a role in an organisation; rights reach that organisation and everything below it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user"))
    organization = models.ForeignKey(
        "core.Organization",
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    title = models.CharField(_("position"), max_length=255, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        ordering = ["organization__path", "user__username", "role"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organization", "role"], name="core_membership_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.organization}"


class RolePolicy(TimeStampedModel):
    """Security settings per role, editable by administrators (e.g. two-factor required)."""

    role = models.CharField(_("role"), max_length=32, choices=Role.choices, unique=True)
    require_two_factor = models.BooleanField(_("require two-factor authentication"), default=False)

    class Meta:
        ordering = ["role"]
        verbose_name = _("role policy")
        verbose_name_plural = _("role policies")

    def __str__(self) -> str:
        return str(self.get_role_display())
