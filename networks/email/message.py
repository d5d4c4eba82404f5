"""One subscriber's newsletter message: the subject, the plain and HTML
bodies, and the unsubscribe headers (RFC 8058 one-click)."""

from __future__ import annotations

from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils.html import escape, urlize

from networks.base import PublishRequest
from networks.email.smtp import SmtpSettings

SUBJECT_LIMIT = 78  # what mail clients show; longer subjects are cut with "…"


def unsubscribe_url(token: str) -> str:
    return settings.SITE_URL + reverse("newsletter-unsubscribe", args=[token])


def subject_for(request: PublishRequest) -> str:
    subject = (request.title or request.text.strip().splitlines()[0]).strip()
    subject = " ".join(subject.split())
    if len(subject) > SUBJECT_LIMIT:
        subject = subject[: SUBJECT_LIMIT - 1].rstrip() + "…"
    return subject


def render_bodies(
    request: PublishRequest, *, unsubscribe: str, audience_name: str
) -> tuple[str, str]:
    """(plain text, HTML) of one newsletter: the copy, the link, the footer."""
    text = request.text.strip()
    link = request.link.strip()
    plain = text
    if link and link not in text:
        plain += f"\n\n{link}"
    plain += (
        f"\n\n-- \nYou receive this because you subscribed to {audience_name}.\n"
        f"Unsubscribe: {unsubscribe}\n"
    )
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    html_parts = [
        "<p>" + urlize(p.strip(), autoescape=True).replace("\n", "<br>\n") + "</p>"
        for p in paragraphs
    ]
    if link and link not in text:
        html_parts.append(f'<p><a href="{escape(link)}">{escape(link)}</a></p>')
    html = (
        '<!doctype html>\n<html><body style="font-family:sans-serif;'
        'line-height:1.5;max-width:40em">\n'
        + "\n".join(html_parts)
        + '\n<hr>\n<p style="font-size:small;color:#666">You receive this because '
        f"you subscribed to {escape(audience_name)}. "
        f'<a href="{escape(unsubscribe)}">Unsubscribe</a></p>\n</body></html>\n'
    )
    return plain, html


def build_message(
    request: PublishRequest, smtp: SmtpSettings, *, to: str, token: str, key: str
) -> EmailMultiAlternatives:
    """One subscriber's newsletter. `key` makes the Message-ID (stable per try)."""
    unsubscribe = unsubscribe_url(token)
    mailto = parseaddr(smtp.reply_to or smtp.from_address)[1]
    plain, html = render_bodies(
        request,
        unsubscribe=unsubscribe,
        audience_name=getattr(request.account, "name", "") or "this newsletter",
    )
    message = EmailMultiAlternatives(
        subject=subject_for(request),
        body=plain,
        from_email=smtp.from_address,
        to=[to],
        reply_to=[smtp.reply_to] if smtp.reply_to else None,
        headers={
            "Message-ID": f"<{key}@{smtp.from_domain}>",
            "List-Unsubscribe": (
                f"<{unsubscribe}>, <mailto:{mailto}?subject=unsubscribe>"
            ),
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Precedence": "bulk",
        },
    )
    message.attach_alternative(html, "text/html")
    return message
