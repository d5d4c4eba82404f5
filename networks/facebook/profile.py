"""Facebook's declarations (see `networks.profile`). Its usage is reported in
`X-Business-Use-Case-Usage`: the connector turns a 429 into a transient error."""

from networks.posting_shapes import FEED, HOOTSUITE, SPROUT, WEEKDAYS_SOCIAL
from networks.profile import (
    LINK_APPENDED_WITH_IMAGES,
    ImageLimits,
    NetworkPrior,
    Profile,
)

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
    image_limits=ImageLimits(
        8 * 1024 * 1024, ("landscape", "square", "portrait", "story")
    ),
    # In the text when images go out, else the link field (a preview card).
    link=LINK_APPENDED_WITH_IMAGES,
)
