"""URLs of the pages that show several apps at once (workflow/views/).

config/urls.py includes this after campaigns/urls.py: there
`posts/<pk>/move/` must match before the post actions' `posts/<pk>/<name>/`.
"""

from __future__ import annotations

from django.urls import path

from workflow.views import approvals, dashboard, posts

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("welcome/", dashboard.onboarding, name="onboarding"),
    # The post editor and the approval queue.
    path("posts/new/", posts.new, name="post-new"),
    path("posts/<int:pk>/", posts.editor, name="post-editor"),
    path("posts/<int:pk>/comments/", posts.comment, name="post-comment"),
    path("posts/<int:pk>/<slug:name>/", posts.action, name="post-action"),
    path("approvals/", approvals.approvals, name="approvals"),
    path("approvals/<int:pk>/comment/", approvals.comment, name="approval-comment"),
    path("approvals/<int:pk>/<slug:name>/", approvals.decide, name="approval-decide"),
]
