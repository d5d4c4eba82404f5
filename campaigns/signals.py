"""Signals other apps listen to. Sent only by `campaigns.lifecycle`, after commit
(what must happen inside the transaction registers a lifecycle status listener).

`post_status_changed(sender=Post, post_id, workspace_id, from_status, to_status,
action, change_id)`: `from_status` is "" for a new post; `change_id` is the
`PostStatusChange` row that records who and why.
"""

from django.dispatch import Signal

post_status_changed = Signal()
