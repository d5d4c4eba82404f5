"""Instagram publishes through the Facebook Login grant of its Page: Facebook's
entry with Instagram's scopes."""

from dataclasses import replace

from networks.facebook.oauth import OAUTH as PAGE_LOGIN

OAUTH = replace(
    PAGE_LOGIN,
    network="instagram",
    scopes=(
        "pages_show_list",
        "instagram_basic",
        "instagram_content_publish",
        "business_management",
    ),
)
