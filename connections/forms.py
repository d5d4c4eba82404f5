"""Connect forms of the Channels page, one per credential-based network, built
from each network's declared fields (`networks/<key>/credentials.py`).

Each form's `credentials()` builds the same JSON object the API stores (the
declaration's `build`; see `connections.accounts` for the keys each connector
reads). Password inputs never
render their value back (`render_value=False`), so a secret is not echoed into
the page after a failed submit.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms

from core.outbound_urls import url_problem
from networks import registry
from networks.credentials import (
    CHOICE,
    EMAIL,
    INTEGER,
    SECRET,
    URL,
    CredentialForm,
    Field,
)


def instance_declaration() -> CredentialForm:
    """The declared form of the network that asks only for its instance."""
    return next(d for d in registry.credential_forms().values() if d.build is None)


def _secret(label: str | None, **kw: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        **kw,
    )


def form_field(field: Field) -> forms.Field:
    """The page's input for one declared credential field."""
    kw: dict[str, Any] = {"required": field.required, "help_text": field.help_text}
    for name in ("initial", "min_length"):
        if getattr(field, name) is not None:
            kw[name] = getattr(field, name)
    label = field.label or None
    if field.kind == SECRET:
        return _secret(label, **kw)
    if field.max_length is not None:
        kw["max_length"] = field.max_length
    if field.kind == URL:
        return forms.URLField(label=label, assume_scheme="https", **kw)
    if field.kind == EMAIL:
        return forms.EmailField(label=label, **kw)
    if field.kind == INTEGER:
        return forms.IntegerField(
            label=label, min_value=field.min_value, max_value=field.max_value, **kw
        )
    if field.kind == CHOICE:
        kw.pop("max_length", None)
        return forms.ChoiceField(label=label, choices=field.choices, **kw)
    return forms.CharField(label=label, **kw)


class ConnectForm(forms.Form):
    network: str = ""
    declared: CredentialForm | None = None
    name = forms.CharField(label="Display name", max_length=200, required=False)
    account = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for field in self.declared.fields if self.declared else ():
            value = data.get(field.key)
            if field.public_url and value and field.key not in self.errors:
                problem = url_problem(value)
                if problem:
                    self.add_error(field.key, problem)
        return data

    def credentials(self) -> tuple[dict[str, Any], str]:
        """(the credentials object to store encrypted, the webhook URL)."""
        if self.declared is None or self.declared.build is None:
            raise NotImplementedError
        return self.declared.build(self.cleaned_data)


def form_class(
    declared: CredentialForm, base: type[forms.Form] = ConnectForm
) -> type[forms.Form]:
    """A form class with the declared fields, after `base`'s own."""
    attrs: dict[str, Any] = {f.key: form_field(f) for f in declared.fields}
    attrs.update(network=declared.network, declared=declared)
    name = f"{declared.network.capitalize()}Form"
    return type(name, (base,), attrs)


class InstanceForm(forms.Form):
    """The instance an OAuth network with per-instance endpoints signs in at
    (its declared field; the page and the flow read `instance_url`)."""

    instance_url = form_field(instance_declaration().fields[0])


class SendTestForm(forms.Form):
    to = forms.EmailField(label="Send a test message to")


class SubscriberAddForm(forms.Form):
    email = forms.EmailField(
        label="Add a subscriber",
        max_length=254,
        help_text="They receive a confirmation link first (double opt-in).",
    )


# The networks a person connects by typing settings, one form each.
CONNECT_FORMS: dict[str, type[ConnectForm]] = {
    key: cast(type[ConnectForm], form_class(declared))
    for key, declared in registry.credential_forms().items()
    if declared.build is not None
}
