"""factory_boy factories for the core models; other apps' tests build on these."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from cityops.core.models import Membership, Organization, User
from cityops.core.services.organizations import organization_create


class OrganizationFactory(DjangoModelFactory):
    """Creates organisations through the service so the tree path is always right."""

    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Cơ quan {n}")
    code = factory.Sequence(lambda n: f"org-{n}")
    kind = "department"
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return organization_create(actor=None, **kwargs)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"Nguyễn Văn {n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.gov.vn")
    password = factory.PostGenerationMethodCall("set_password", "Secret-pass-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = "specialist"
