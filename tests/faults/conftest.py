"""Fixtures of the fault tests: the feedback module's category is reused."""

from tests.feedback.conftest import simple_category  # noqa: F401  (fixture)
