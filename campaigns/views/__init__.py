"""The server-rendered UI, one module per page (see campaigns/urls.py).

Views stay thin: they check a permission from `workspaces.permissions`, look
objects up through querysets scoped to the current workspace (so another
workspace's object answers 404), call one service and render.
"""
