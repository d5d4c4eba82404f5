"""API resources that need several apps at once: posts (their review card,
publications and images), brands (their logo asset) and the jobs' cancel
action (image jobs). Mounted by config/api_urls.py."""
