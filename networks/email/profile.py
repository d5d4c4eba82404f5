"""The email newsletter's declarations (see `networks.profile`). Its pace is
the account's own `rate_per_second`, kept by the connector."""

from networks.posting_shapes import NEWSLETTER, WEEKDAYS_NEWSLETTER
from networks.profile import NetworkPrior, Profile

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
)
