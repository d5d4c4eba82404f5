"""LinkedIn's declarations (see `networks.profile`). Its quotas are per app in
the developer portal: the connector turns a 429 into a transient error."""

from networks.posting_shapes import (
    BUFFER,
    BUSINESS,
    HOOTSUITE,
    SPROUT,
    WEEKDAYS_B2B,
)
from networks.profile import NetworkPrior, Profile

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
)
