"""WordPress's declarations (see `networks.profile`): the site's own limits
answer with a 429, and a blog article's readers fit no study."""

from networks.posting_shapes import flat_prior
from networks.profile import Profile

PROFILE = Profile(
    key="wordpress",
    connector="networks.wordpress.connector.WordPressConnector",
    prior=flat_prior("readers are most active during business hours"),
    audience_label="blog",
)
