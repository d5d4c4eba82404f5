"""The post lifecycle: the only code that changes `Post.status`.

    draft ──submit──> in_review ──approve──> approved ──schedule──> scheduled
      ^                  │  ^                    │                     │
      │               reject└──── (edited) ──────┘ (edited)            │ (dispatcher)
      │                  v                                             v
      └───reopen──── rejected                                      publishing
                                        published / partly_published <─┤
                                                                       v
                                 failed ──retry──> scheduled    unconfirmed / failed

Without required approval a draft may be scheduled directly (and unscheduling
it makes it a draft again: only a review approves). `cancel` works from
every state that has not reached the network; `restore` brings a canceled post
back as a draft. The dispatcher's moves (`start_publishing`, `mark_published`,
`mark_partly_published`, `mark_failed`, `mark_unconfirmed`: the post follows its
publications, see `publishing.post_status`) and `return_to_review` are the
system's: no person or key may make them.

Every move is one conditional UPDATE (so two concurrent moves cannot both win),
one `PostStatusChange` row (who, when, from, to, why), the status listeners in
the same transaction (the channels app makes a scheduled post's publications
there, so a post is never scheduled without them), and, after the commit, one
`post_status_changed` signal: analytics, webhooks and the calendar's live
updates listen there.

The modules: `moves` (the table, who may make what now), `checks` (what a move
must pass, and the checks other apps register), `listeners` (what other apps
hear inside the transaction), `transitions` (making the moves, the edit rules).
"""

from campaigns.lifecycle.checks import (
    CHECKED_MOVES,
    approval_problems,
    approve_copy,
    approved_by_review,
    check_permission,
    move_problems,
    register_approval_check,
    register_move_check,
)
from campaigns.lifecycle.listeners import (
    StatusMove,
    after_time_change,
    register_edit_listener,
    register_status_listener,
    register_time_listener,
)
from campaigns.lifecycle.moves import (
    LOCKED_STATES,
    MOVES,
    PERSON_ACTIONS,
    PUBLICATION_REVIEW_STATES,
    Move,
    TransitionNotAllowed,
    allowed_actions,
    ensure_editable,
    register_retry_check,
    retry_blocked,
    sources_of,
)
from campaigns.lifecycle.transitions import (
    after_edit,
    record_creation,
    record_creations,
    system_transition_many,
    transition,
)
from workspaces.permissions import Action

__all__ = [
    "CHECKED_MOVES",
    "LOCKED_STATES",
    "MOVES",
    "PERSON_ACTIONS",
    "PUBLICATION_REVIEW_STATES",
    "Action",
    "Move",
    "StatusMove",
    "TransitionNotAllowed",
    "after_edit",
    "after_time_change",
    "allowed_actions",
    "approval_problems",
    "approve_copy",
    "approved_by_review",
    "check_permission",
    "ensure_editable",
    "move_problems",
    "record_creation",
    "record_creations",
    "register_approval_check",
    "register_edit_listener",
    "register_move_check",
    "register_retry_check",
    "register_status_listener",
    "register_time_listener",
    "retry_blocked",
    "sources_of",
    "system_transition_many",
    "transition",
]
