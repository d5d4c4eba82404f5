"""Template helpers of the variants panel: network-style previews and diffs."""

from __future__ import annotations

import difflib
from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from networks import registry, textrules

register = template.Library()

_KINDS = (
    ("link", textrules.ANY_URL_RE),
    ("tag", textrules.HASHTAG_RE),
    ("mention", textrules.MENTION_RE),
)


@register.filter
def highlight(text: str) -> SafeString:
    """The text escaped, with links, hashtags and mentions wrapped in spans, as
    the network would colour them (found with the same patterns as the rules)."""
    text = text or ""
    spans: list[tuple[int, int, str]] = []
    for kind, pattern in _KINDS:
        spans.extend((m.start(), m.end(), kind) for m in pattern.finditer(text))
    spans.sort()
    out: list[str] = []
    at = 0
    for start, end, kind in spans:
        if start < at:
            continue  # overlaps one already wrapped (a hashtag inside a URL)
        out.append(escape(text[at:start]))
        out.append(f'<span class="pv-{kind}">{escape(text[start:end])}</span>')
        at = end
    out.append(escape(text[at:]))
    return mark_safe("".join(out))  # noqa: S308 (every piece escaped above)


@register.filter
def diff_lines(edit: Any) -> list[tuple[str, str]]:
    """An edit's unified diff as (css class, line) pairs, headers dropped.

    Computed again from `before`/`after` line by line: the stored diff runs a
    last line without a newline into the next one ("-old+new")."""
    diff = difflib.unified_diff(
        (edit.before or "").splitlines(), (edit.after or "").splitlines(), lineterm=""
    )
    lines = []
    for line in diff:
        if line.startswith(("--- ", "+++ ")):
            continue
        kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "ctx")
        lines.append((kind, line))
    return lines


@register.filter
def initial(name: str) -> str:
    return (name or "?").strip()[:1].upper() or "?"


@register.filter
def handle(account: Any) -> str:
    """ "@name" for social networks (once, whether stored with "@" or not); as
    stored where the network's handles are addresses (`Profile.handle_as_is`)."""
    value = (getattr(account, "handle", "") or "").strip()
    profile = registry.profile(getattr(account, "network", ""))
    if not value or (profile is not None and profile.handle_as_is):
        return value
    return "@" + value.lstrip("@")
