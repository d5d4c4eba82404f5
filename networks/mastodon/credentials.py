"""What connecting Mastodon asks for before the OAuth sign-in: the instance.
Nothing of it is stored as credentials (no `build`): the flow registers AdLoop
there and keeps the tokens it is given."""

from networks.credentials import CredentialForm, Field

CREDENTIALS = CredentialForm(
    network="mastodon",
    fields=(
        Field(
            "instance_url",
            "Instance",
            max_length=255,
            help_text="e.g. mastodon.social",
            api_help="mastodon: e.g. mastodon.social",
        ),
    ),
)
