"""Email's text rules: no limit on the body; clients show about 78 characters
of a subject (RFC 5322 2.1.1 line length, the usual inbox preview). The first
line of an email text is its subject.

Data, one piece per network, that the network's own package will own.
"""

from __future__ import annotations

from networks.textrules.base import GRAPHEMES, NetworkRules

NAME = "Email"  # as messages name it

RULES = NetworkRules(
    network="email",
    max_length=78,
    unit=GRAPHEMES,
    subject_only=True,
    notes=(
        "The first line is the subject: at most 78 characters, about 50 "
        "show on phones. The body follows after a blank line."
    ),
)
