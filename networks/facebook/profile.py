"""Facebook's declarations (see `networks.profile`). Its usage is reported in
`X-Business-Use-Case-Usage`: the connector turns a 429 into a transient error."""

from networks.posting_shapes import FEED, HOOTSUITE, SPROUT, WEEKDAYS_SOCIAL
from networks.profile import NetworkPrior, Profile

PROFILE = Profile(
    key="facebook",
    connector="networks.facebook.connector.FacebookConnector",
    prior=NetworkPrior(
        FEED,
        WEEKDAYS_SOCIAL,
        "weekdays 08:00-13:00, weakest on Sunday",
        f"{SPROUT}; {HOOTSUITE}",
        plain="engagement peaks on weekdays between 08:00 and 13:00",
    ),
    preferred_formats=("landscape", "square"),
)
