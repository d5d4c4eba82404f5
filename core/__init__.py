"""AdLoop's ground layer: shared value types and helpers that every app may
import and that import no AdLoop app (no `campaigns`, `channels`, `content`,
...), so one rule lives in one place below all of them.

It is a plain package, not a Django app: it has no models, no migrations and no
`INSTALLED_APPS` entry, and importing it loads no Django settings.
"""
