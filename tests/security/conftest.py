"""Fixtures of the security suites: the feedback module's category and Open311 key are reused."""

from tests.feedback.conftest import api_key, simple_category  # noqa: F401  (fixtures)
from tests.security.test_authorization_matrix import world  # noqa: F401,E402  (fixture)
