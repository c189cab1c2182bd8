import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "searchbench.web.settings")

application = get_asgi_application()

# Endpoints' requests-per-minute budgets are shared with the other web processes and the workers.
from searchbench.jobs.ratelimit import share_in_database  # noqa: E402 (needs Django set up)

share_in_database()
