"""The webhook's declarations (see `networks.profile`): the receiver's own
limits answer with a 429, and no study knows its audience."""

from networks.posting_shapes import FALLBACK_PRIOR
from networks.profile import Profile

PROFILE = Profile(
    key="webhook",
    connector="networks.webhook.connector.WebhookConnector",
    prior=FALLBACK_PRIOR,
    audience_label="webhook",
)
