"""Fixtures of the security suites: the feedback module's category and Open311 key are reused."""

from tests.feedback.conftest import api_key, simple_category  # noqa: F401  (fixtures)
