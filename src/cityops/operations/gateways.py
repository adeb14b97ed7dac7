"""The outbound gateway interface for SMS and Zalo messages, and the default gateway that only records.

A deployment names its gateway class in ``OPERATIONS_SMS_GATEWAY`` (a dotted path). The class is built with no
arguments (read credentials from settings in ``__init__``) and has ``send(recipient, text)``: it returns a
provider reference, or raises ``GatewayError`` (or any exception) when the message could not be sent.
"""

from __future__ import annotations

import logging
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.utils.module_loading import import_string

__all__ = ["DEFAULT_GATEWAY", "GatewayError", "OutboundGateway", "RecordingGateway", "get_gateway"]

DEFAULT_GATEWAY = "cityops.operations.gateways.RecordingGateway"
logger = logging.getLogger("cityops.operations.gateway")


class GatewayError(Exception):
    """The provider refused or could not take the message."""


@runtime_checkable
class OutboundGateway(Protocol):
    """What an SMS or Zalo provider adapter offers."""

    #: True when messages really leave the system (the default gateway only records them).
    delivers: bool

    def send(self, recipient: str, text: str) -> str:
        """Send ``text`` to ``recipient`` (a phone number or a Zalo user id); returns the provider's reference."""
        ...


class RecordingGateway:
    """No provider configured: log the message; the ``OutboundMessage`` row is the record of the delivery."""

    delivers = False

    def send(self, recipient: str, text: str) -> str:
        logger.info("Outbound message to %s (not sent, no gateway configured): %s", recipient, text)
        return ""


def get_gateway() -> OutboundGateway:
    """The configured gateway instance."""
    path = getattr(settings, "OPERATIONS_SMS_GATEWAY", "") or DEFAULT_GATEWAY
    gateway = import_string(path)()
    if not isinstance(gateway, OutboundGateway):
        raise TypeError(f"{path} is not an outbound gateway (it needs send(recipient, text) and delivers).")
    return gateway
