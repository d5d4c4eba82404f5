"""`EncryptedJSONField`: a JSON object stored encrypted (see `core.crypto`).

What the field guarantees:

- The column holds only `enc1:<key id>:<data>` (AES-256-GCM, the newest key of
  `FIELD_ENCRYPTION_KEYS`); reading accepts every configured key.
- In Python the value is a `SecretDict`: a dict whose `repr()`/`str()` say
  `<redacted>`, so logging an instance's fields, a debugger's locals, an error
  report or a DRF field that stringifies it never shows a secret.
- It is not editable: no ModelForm and no admin page includes it. Services set
  it explicitly.
- It cannot be filtered on (only `isnull`): ciphertexts are randomised, so any
  other lookup would silently match nothing.
- `value_to_string` (dumpdata, DRF's fallback `ModelField`) gives the ciphertext,
  never the plaintext.

A value that cannot be decrypted (a removed key, a modified token) raises
`core.crypto.DecryptionError` on load, naming the key id and the field.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.lookups import IsNull

from core import crypto

REDACTED = "<redacted>"


class SecretDict(dict[str, Any]):
    """A plain dict whose printed forms hide its contents."""

    def __repr__(self) -> str:
        return REDACTED

    __str__ = __repr__

    def __reduce__(self) -> tuple[Any, ...]:
        return (SecretDict, (dict(self),))


class Ciphertext(str):
    """A token already encrypted: saved as is (the rotation command uses it)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Ciphertext(key {crypto.token_key_id(self)})"


_ST = TypeVar("_ST")
_GT = TypeVar("_GT")

if TYPE_CHECKING:
    _GenericField = models.Field
else:

    class _GenericField(models.Field, Generic[_ST, _GT]):
        """Django's Field with the stubs' two type parameters (what is set,
        what is read): at run time Django's own cannot be subscripted."""


class EncryptedJSONField(_GenericField[_ST, _GT]):
    # For django-stubs: what may be set (a dict, or an already encrypted
    # `Ciphertext`) and what is read; its plugin adds "| None" where null=True.
    _pyi_private_set_type: dict[str, Any] | Ciphertext
    _pyi_private_get_type: SecretDict

    description = "A JSON object, encrypted at rest"
    empty_strings_allowed = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("editable") is False:
            del kwargs["editable"]
        return name, path, args, kwargs

    def get_internal_type(self) -> str:
        return "TextField"

    @property
    def aad(self) -> str:
        """Associated data: binds a token to this model and field."""
        return f"{self.model._meta.label}.{self.name}"

    # --- database → Python ----------------------------------------------------
    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        return self._load(value)

    def _load(self, token: str) -> SecretDict:
        plaintext = crypto.decrypt(token, aad=self.aad)
        return SecretDict(json.loads(plaintext))

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, SecretDict):
            return value
        if isinstance(value, dict):
            return SecretDict(value)
        if crypto.is_token(value):  # loaddata gives back value_to_string's token
            return self._load(value)
        raise ValidationError(
            "%(field)s must be a JSON object.",
            code="invalid",
            params={"field": self.verbose_name},
        )

    # --- Python → database ----------------------------------------------------
    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, Ciphertext):
            return str(value)
        if not isinstance(value, dict):
            raise TypeError(
                f"{self.aad} takes a dict (a JSON object), not {type(value).__name__}"
            )
        try:
            plaintext = json.dumps(
                value, cls=DjangoJSONEncoder, separators=(",", ":"), sort_keys=True
            )
        except TypeError:  # the message names the field, never the value
            raise TypeError(f"{self.aad}: a value is not JSON-serialisable") from None
        return crypto.encrypt(plaintext.encode(), aad=self.aad)

    def value_to_string(self, obj: models.Model) -> Any:
        return self.get_prep_value(self.value_from_object(obj))

    def validate(self, value: Any, model_instance: models.Model | None) -> None:
        super().validate(value, model_instance)
        if value is not None and not isinstance(value, dict):
            raise ValidationError(
                "%(field)s must be a JSON object.",
                code="invalid",
                params={"field": self.verbose_name},
            )

    # --- querying -------------------------------------------------------------
    def get_lookup(self, lookup_name: str) -> Any:
        # Ciphertexts are randomised: only "is there a value" can be asked.
        return IsNull if lookup_name == "isnull" else None

    def get_transform(self, lookup_name: str) -> Any:
        return None

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> forms.Field | None:
        return None  # never rendered in a form, even if made editable


def encrypted_fields() -> list[EncryptedJSONField[Any, Any]]:
    """Every concrete `EncryptedJSONField` of every installed model."""
    from django.apps import apps

    found: list[EncryptedJSONField[Any, Any]] = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedJSONField):
                found.append(field)
    return found
