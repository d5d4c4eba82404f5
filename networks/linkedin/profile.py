"""LinkedIn's declarations (see `networks.profile`). Its quotas are per app in
the developer portal: the connector turns a 429 into a transient error."""

from networks.posting_shapes import (
    BUFFER,
    BUSINESS,
    HOOTSUITE,
    SPROUT,
    WEEKDAYS_B2B,
)
from networks.profile import LINK_APPENDED, ImageLimits, NetworkPrior, Profile

PROFILE = Profile(
    key="linkedin",
    connector="networks.linkedin.connector.LinkedInConnector",
    prior=NetworkPrior(
        BUSINESS,
        WEEKDAYS_B2B,
        "Tue-Thu business mornings",
        f"{SPROUT}; {HOOTSUITE}; {BUFFER}",
        plain="engagement peaks on Tuesday to Thursday business mornings",
    ),
    preferred_formats=("landscape", "square"),
    audience_label="LinkedIn",
    # Generous in practice; kept at sizes that upload quickly.
    image_limits=ImageLimits(8 * 1024 * 1024, ("landscape", "square", "portrait")),
    link=LINK_APPENDED,
)
