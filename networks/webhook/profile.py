"""The webhook's declarations (see `networks.profile`): the receiver's own
limits answer with a 429, and no study knows its audience."""

from networks.posting_shapes import FALLBACK_PRIOR
from networks.profile import LINK_FIELD, ImageLimits, Profile

PROFILE = Profile(
    key="webhook",
    connector="networks.webhook.connector.WebhookConnector",
    prior=FALLBACK_PRIOR,
    audience_label="webhook",
    # The receiver decides; hand over every format at a size any service takes.
    image_limits=ImageLimits(5 * 1024 * 1024),
    # The handle is the receiver's host.
    handle_as_is=True,
    link=LINK_FIELD,
)
