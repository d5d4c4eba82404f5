"""The email newsletter's declarations (see `networks.profile`). Its pace is
the account's own `rate_per_second`, kept by the connector."""

from networks.posting_shapes import NEWSLETTER, WEEKDAYS_NEWSLETTER
from networks.profile import LINK_APPENDED, ImageLimits, NetworkPrior, Profile

PROFILE = Profile(
    key="email",
    connector="networks.email.connector.EmailConnector",
    # Mailchimp's send-time insights and GetResponse's benchmarks: weekday
    # mornings around 10:00, Tuesday and Thursday best, weekends weakest.
    prior=NetworkPrior(
        NEWSLETTER,
        WEEKDAYS_NEWSLETTER,
        "Tuesday and Thursday around 10:00",
        "Mailchimp send-time insights (2014); GetResponse email benchmarks",
        plain="opens peak around 10:00 on Tuesdays and Thursdays",
    ),
    audience_label="newsletter",
    # Inline or hosted images in a newsletter: small, and no WebP (Outlook).
    image_limits=ImageLimits(1_000_000, ("landscape", "wide")),
    ai_label="This email was written with the help of AI.",
    # The handle is the sender's address.
    handle_as_is=True,
    link=LINK_APPENDED,
    # The topic is the subject.
    titled=True,
)
