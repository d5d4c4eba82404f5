"""WordPress's declarations (see `networks.profile`): the site's own limits
answer with a 429, and a blog article's readers fit no study."""

from networks.posting_shapes import flat_prior
from networks.profile import LINK_APPENDED, ImageLimits, Profile

PROFILE = Profile(
    key="wordpress",
    connector="networks.wordpress.connector.WordPressConnector",
    prior=flat_prior("readers are most active during business hours"),
    audience_label="blog",
    # WordPress ≥ 5.8 serves WebP; 2 MB is the common upload_max_filesize.
    image_limits=ImageLimits(
        2 * 1024 * 1024,
        ("wide", "landscape"),
        content_types=frozenset({"image/jpeg", "image/png", "image/webp"}),
    ),
    ai_label="This post was written with the help of AI.",
    # The handle is the site's address.
    handle_as_is=True,
    link=LINK_APPENDED,
    # The topic is the article's title.
    titled=True,
)
