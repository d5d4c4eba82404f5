"""In a real browser: upload a PNG on the media library page through the file
input (upload.js sends it with fetch and the CSRF token), see its line say
"Uploaded" and its card say "Processing" until the images worker has made the
thumbnail, then the card shows it by itself, served by the app; a renamed
non-image gets the check's own message and no card."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from content.models import Asset
from tests.content.media import image_bytes, media_root, rendered
from tests.factories import PASSWORD, WorkspaceFactory, member
from workspaces.models import Role

__all__ = ["media_root"]  # fixture

pytestmark = pytest.mark.e2e


def test_upload_a_png_and_see_its_thumbnail(
    live_server, page, screenshot, media_root: Path
) -> None:
    workspace = WorkspaceFactory(name="Bay Bakery")
    editor = member(workspace, Role.EDITOR, email="eda@example.test")

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email address").fill(editor.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/content/")
    expect(page.get_by_text("No images yet.")).to_be_visible()
    page.set_input_files(
        "#upload-file",
        [
            {
                "name": "loaf.png",
                "mimeType": "image/png",
                "buffer": image_bytes((120, 90)),
            },
            {
                "name": "notes.png",
                "mimeType": "image/png",
                "buffer": b"%PDF-1.7\n1 0 obj<<>>endobj\n",
            },
        ],
    )
    uploads = page.locator("[data-upload-list] li")
    expect(uploads.filter(has_text="loaf.png")).to_contain_text("Uploaded")
    refused = uploads.filter(has_text="notes.png")
    expect(refused).to_have_attribute("role", "alert")
    expect(refused).to_contain_text("not")

    asset = Asset.objects.get()
    card = page.locator(f'[data-asset="{asset.pk}"]')
    expect(card).to_be_visible()
    expect(card).to_contain_text("Processing")
    screenshot("processing")
    rendered(asset)  # what the images worker does with the queued task
    thumb = card.locator("img")
    expect(thumb).to_have_attribute("src", f"/content/assets/{asset.pk}/thumbnail/")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    expect(page.get_by_text("No images yet.")).to_have_count(0)
    expect(page.locator("[data-asset-count]")).to_have_text("1")
    screenshot("uploaded")

    # The page reloaded (without the script's help) still shows it.
    page.reload()
    expect(page.locator(f'[data-asset="{asset.pk}"] img')).to_be_visible()
    assert Asset.objects.count() == 1
