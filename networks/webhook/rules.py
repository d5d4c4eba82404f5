"""The webhook's text rules: no limit.

Data, one piece per network, that the network's own package will own.
"""

from __future__ import annotations

from networks.textrules.base import CHARS, NetworkRules

NAME = "the webhook"  # as messages name it

RULES = NetworkRules(network="webhook", max_length=None, unit=CHARS, max_images=4)
