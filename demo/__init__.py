"""The demo inbox: a local receiver for trying publishing (not a real network).

On only when `settings.DEMO_INBOX` (default: DEBUG, so `bin/run`'s demo has it
and production does not). See `demo/inbox.py`.
"""
