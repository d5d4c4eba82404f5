"""Brand pages: everyone in the workspace reads, editors and up write."""

from __future__ import annotations

import pytest
from django.urls import reverse

from campaigns.models import BrandProfile
from tests.factories import BrandProfileFactory
from workspaces.models import Role

pytestmark = pytest.mark.usefixtures("static_files")
WRITERS = [Role.OWNER, Role.ADMIN, Role.EDITOR]
READERS = [Role.REVIEWER, Role.CLIENT]


@pytest.mark.parametrize("role", list(Role))
def test_everyone_sees_the_brands_with_their_colours(tenant, web, role):
    BrandProfileFactory(
        workspace=tenant.workspace, name="Roastery", colours=["#1a2b3c"]
    )
    body = web(tenant.person(role)).get(reverse("brands")).content.decode()
    assert "Roastery" in body
    # The swatch: its colour as data for app.js (no style attribute under the
    # Content-Security-Policy).
    assert 'class="swatch" data-bg="#1a2b3c"' in body


@pytest.mark.parametrize("role", READERS)
def test_readers_see_no_create_control_and_get_403_on_writes(tenant, web, role):
    brand = BrandProfileFactory(workspace=tenant.workspace, name="Roastery")
    client = web(tenant.person(role))
    assert "New brand" not in client.get(reverse("brands")).content.decode()
    assert client.get(reverse("brand-create")).status_code == 403
    assert client.post(reverse("brand-create"), {"name": "X"}).status_code == 403
    page = client.get(reverse("brand-edit", args=[brand.pk]))
    assert page.status_code == 200
    assert "Save brand" not in page.content.decode()
    response = client.post(reverse("brand-edit", args=[brand.pk]), {"name": "Y"})
    assert response.status_code == 403
    brand.refresh_from_db()
    assert brand.name == "Roastery"
    assert not BrandProfile.objects.filter(name__in=["X", "Y"]).exists()


@pytest.mark.parametrize("role", WRITERS)
def test_only_the_name_is_required_to_create_a_brand(tenant, web, role):
    response = web(tenant.person(role)).post(
        reverse("brand-create"), {"name": "Harbour", "ai_disclosure": "always"}
    )
    assert response.status_code == 302
    brand = BrandProfile.objects.get(workspace=tenant.workspace, name="Harbour")
    assert brand.created_by == tenant.person(role)


def test_every_brand_field_is_saved_from_the_form(tenant, web):
    response = web(tenant.editor).post(
        reverse("brand-create"),
        {
            "name": "Harbour",
            "description": "A bakery by the sea",
            "voice": "Warm and plain.",
            "tone": "friendly, expert",
            "audience": "Neighbours",
            "languages": "en\nde-CH",
            "do_words": "fresh, sourdough",
            "dont_words": "cheap",
            "required_hashtags": "bakery",
            "required_mentions": "harbourbakes",
            "default_cta": "Visit us",
            "colours": "#AABBCC, #112233",
            "ai_disclosure": "per_channel",
            "ai_disclosure_networks": ["mastodon", "linkedin"],
        },
    )
    assert response.status_code == 302
    brand = BrandProfile.objects.get(name="Harbour")
    assert brand.tone == ["friendly", "expert"]
    assert brand.languages == ["en", "de-CH"]
    assert brand.do_words == ["fresh", "sourdough"]
    assert brand.dont_words == ["cheap"]
    assert brand.required_hashtags == ["#bakery"]
    assert brand.required_mentions == ["@harbourbakes"]
    assert brand.colours == ["#aabbcc", "#112233"]
    assert brand.ai_disclosure_networks == ["mastodon", "linkedin"]
    assert brand.default_cta == "Visit us"


def test_bad_input_shows_the_services_errors_and_saves_nothing(tenant, web):
    BrandProfileFactory(workspace=tenant.workspace, name="Taken")
    client = web(tenant.editor)
    response = client.post(
        reverse("brand-create"),
        {
            "name": "New",
            "colours": "red",
            "languages": "not a code!",
            "ai_disclosure": "never",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "is not a colour like #1a2b3c" in body
    assert "is not a language code" in body
    assert 'value="New"' in body
    response = client.post(
        reverse("brand-create"), {"name": "Taken", "ai_disclosure": "never"}
    )
    assert response.status_code == 400
    assert "already has a brand with this name" in response.content.decode()
    response = client.post(reverse("brand-create"), {"name": ""})
    assert response.status_code == 400
    assert BrandProfile.objects.filter(workspace=tenant.workspace).count() == 1


def test_editing_a_brand_shows_its_lists_as_text_and_saves_changes(tenant, web):
    brand = BrandProfileFactory(
        workspace=tenant.workspace, name="Harbour", tone=["warm", "plain"]
    )
    client = web(tenant.editor)
    page = client.get(reverse("brand-edit", args=[brand.pk])).content.decode()
    assert "warm\nplain" in page
    response = client.post(
        reverse("brand-edit", args=[brand.pk]),
        {"name": "Harbour Bakes", "tone": "bold", "ai_disclosure": "never"},
    )
    assert response.status_code == 302
    brand.refresh_from_db()
    assert (brand.name, brand.tone, brand.ai_disclosure) == (
        "Harbour Bakes",
        ["bold"],
        "never",
    )


def test_another_workspaces_brand_is_404(tenant, other_tenant, web):
    theirs = BrandProfileFactory(workspace=other_tenant.workspace, name="Secret")
    client = web(tenant.owner)
    assert client.get(reverse("brand-edit", args=[theirs.pk])).status_code == 404
    response = client.post(reverse("brand-edit", args=[theirs.pk]), {"name": "Mine"})
    assert response.status_code == 404
    assert "Secret" not in client.get(reverse("brands")).content.decode()
    theirs.refresh_from_db()
    assert theirs.name == "Secret"
