"""A post's blog taxonomy: the tags and categories a WordPress post carries.

A post stores them as lists of names (`Post.tags`, `Post.categories`). `None`
means "the defaults", worked out when the post is sent so they follow the copy
and the pillar as they change: the tags are the hashtags of the copy that goes
out, the category is the post's pillar (one of the campaign's pillars). A list,
even an empty one, is exactly what the person chose.

The connector resolves names to the blog's term ids; this module never talks to
a network.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError

if TYPE_CHECKING:
    from campaigns.models import Post

MAX_TERMS = 20
# WordPress stores a term name in 200 bytes; 100 characters stay well inside
# that for any script.
MAX_NAME = 100

# A hashtag: "#" not inside a word, a URL fragment or an HTML entity, then a
# word character and word characters or hyphens ("#spring-roast", "#Café").
HASHTAG = re.compile(r"(?<![\w&#/])#(\w[\w-]*)")

LABELS = {"tags": ("tag", "tags"), "categories": ("category", "categories")}


def clean_terms(value: Any, field: str) -> list[str] | None:
    """Validate a list of names given for `field` ("tags" or "categories").

    None stays None (the defaults). Names are stripped (a tag's leading "#"
    too) and repeats dropped, case-insensitively. Raises a `ValidationError`
    naming `field` for anything else: not a list, an empty name, one too long,
    too many.
    """
    if value is None:
        return None
    one, many = LABELS[field]
    if not isinstance(value, list | tuple):
        raise ValidationError({field: [f"Give the {many} as a list of names."]})
    errors: list[str] = []
    names: list[str] = []
    seen: set[str] = set()
    for raw in value:
        if not isinstance(raw, str):
            errors.append(f"Each {one} is a name (text).")
            continue
        name = " ".join(raw.split())
        if field == "tags":
            name = name.lstrip("#").strip()
        if not name:
            errors.append(f"A {one} cannot be empty.")
        elif len(name) > MAX_NAME:
            errors.append(
                f"The {one} “{name[:30]}…” is longer than {MAX_NAME} characters."
            )
        elif name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    if len(names) > MAX_TERMS:
        errors.append(f"{MAX_TERMS} {many} at most ({len(names)} given).")
    if errors:
        raise ValidationError({field: errors})
    return names


def hashtags(text: str) -> list[str]:
    """The hashtags of `text` as tag names, in order, without repeats.

    Numbers alone ("#1") are not tags; names are cut to `MAX_NAME` and at most
    `MAX_TERMS` are kept, so defaults never fail the limits a person's list must
    meet.
    """
    names: list[str] = []
    seen: set[str] = set()
    for match in HASHTAG.finditer(text or ""):
        name = match.group(1).rstrip("-_")[:MAX_NAME]
        if not name or name.isdigit() or name.casefold() in seen:
            continue
        seen.add(name.casefold())
        names.append(name)
        if len(names) == MAX_TERMS:
            break
    return names


def default_categories(post: Post) -> list[str]:
    """The post's pillar, as a category name; none without a pillar."""
    pillar = post.pillar
    return [pillar.name[:MAX_NAME]] if pillar is not None else []


def terms_for(post: Post, text: str) -> dict[str, list[str]]:
    """What goes out with `text` (the copy sent for one network)."""
    tags = post.tags if post.tags is not None else hashtags(text)
    categories = (
        post.categories if post.categories is not None else default_categories(post)
    )
    return {"tags": list(tags), "categories": list(categories)}


def parse_names(raw: str) -> list[str] | None:
    """A form's comma-separated names: empty input means the defaults (None).

    Empty pieces between commas ("beans, , roast,") are dropped: a trailing
    comma is a typing habit, not an empty name.
    """
    if not raw.strip():
        return None
    return [piece for piece in (p.strip() for p in raw.split(",")) if piece]
