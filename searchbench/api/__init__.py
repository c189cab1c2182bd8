"""The REST API under /api/v1 (django-ninja): routers per resource over the same services as the
web pages, personal access tokens, one error shape. See docs/api.md."""
