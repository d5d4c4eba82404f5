"""X's declarations (see `networks.profile`)."""

from networks.posting_shapes import BUFFER, MICROBLOG, SPROUT, WEEKDAYS_SOCIAL
from networks.profile import LINK_APPENDED, ImageLimits, Limit, NetworkPrior, Profile

PROFILE = Profile(
    key="x",
    connector="networks.x.connector.XConnector",
    prior=NetworkPrior(
        MICROBLOG,
        WEEKDAYS_SOCIAL,
        "weekday mornings, busiest mid-week",
        f"{SPROUT}; {BUFFER}",
        plain="engagement peaks on weekday mornings, busiest mid-week",
    ),
    # `POST /2/tweets`: 100 per 15 minutes per user, 10,000 a day per app (official).
    rate_limits={
        "account": Limit(100, 15 * 60),
        "network": Limit(10_000, 24 * 3600),
    },
    preferred_formats=("landscape", "square", "wide"),
    prior_label="X",
    audience_label="X",
    # JPG/PNG/GIF/WEBP ≤ 5 MB (official).
    image_limits=ImageLimits(
        5 * 1024 * 1024,
        ("landscape", "square", "wide"),
        content_types=frozenset({"image/jpeg", "image/png", "image/webp"}),
    ),
    link=LINK_APPENDED,
)
