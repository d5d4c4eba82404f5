"""Facebook Login (https://developers.facebook.com/docs/facebook-login/guides/
advanced/manual-flow): a Page's grant, extended with `fb_exchange_token`."""

from networks.oauth import OAuthEntry

_GRAPH = "{GRAPH_API_BASE_URL}/{GRAPH_API_VERSION}"

OAUTH = OAuthEntry(
    network="facebook",
    authorize_url="{FACEBOOK_DIALOG_BASE_URL}/{GRAPH_API_VERSION}/dialog/oauth",
    token_url=f"{_GRAPH}/oauth/access_token",
    profile_url=f"{_GRAPH}/me?fields=id,name,picture",
    scopes=("pages_show_list", "pages_manage_posts", "pages_read_engagement"),
    client_id_setting="FACEBOOK_APP_ID",
    client_secret_setting="FACEBOOK_APP_SECRET",  # noqa: S106 (a setting name)
    scope_separator=",",
    refresh="fb_exchange_token",
)
