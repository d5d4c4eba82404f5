"""Foreign keys follow the layers the import contract draws (pyproject.toml's
`[tool.importlinter]` layers): a model points at models of its own package or
of packages below it, so a lower package never names a higher one's model.

The app labels predate the layout (docs/architecture.md, "Model labels"), so
the package that counts is the one that defines the model class.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models

from tests.project_layers import heights

# Links that still point up, each with why and where it goes next. Keep it
# short: a new entry needs the same kind of reason.
POINTS_UP = {
    # A post's cover image and a brand's logo are media-library assets, whose
    # provenance names the post, variant and job that made them: the library
    # (content.Asset) moves below campaigns with the measurement issue's models.
    "campaigns.Post.image": "content.Asset",
    "campaigns.BrandProfile.logo": "content.Asset",
}


def _package(model: type[models.Model]) -> str:
    return model.__module__.split(".")[0]


def _links() -> list[tuple[str, str, int, int]]:
    """(source field, target model, source height, target height) of every
    relation our models define."""
    height = heights()
    found = []
    for model in apps.get_models():
        source = _package(model)
        if source not in height:
            continue  # Django's and third parties' models
        for field in model._meta.get_fields():
            if not field.is_relation or field.auto_created:
                continue  # not a link, or the reverse side of one
            target = field.related_model
            if target is None or isinstance(target, str):
                continue
            if _package(target) not in height:
                continue
            found.append(
                (
                    f"{model._meta.app_label}.{model.__name__}.{field.name}",
                    f"{target._meta.app_label}.{target.__name__}",
                    height[source],
                    height[_package(target)],
                )
            )
    return found


def test_no_model_points_at_a_higher_package() -> None:
    up = {name: target for name, target, source, higher in _links() if higher > source}
    assert up == POINTS_UP, (
        "A model names a model of a package above it: move the link up, or "
        "the target down (see docs/architecture.md)."
    )


def test_the_walk_sees_the_links_between_packages() -> None:
    """The check is only as good as its walk: it sees links across layers."""
    links = {name: target for name, target, _, _ in _links()}
    assert links["channels.Publication.post"] == "campaigns.Post"
    assert links["campaigns.Post.accounts"] == "channels.ChannelAccount"
    assert links["content.Variant.account"] == "channels.ChannelAccount"
    assert len(links) > 40, len(links)
