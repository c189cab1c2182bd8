import os

from django.core.wsgi import get_wsgi_application

# The one place a settings-module default is set: WSGI servers import this file directly.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "searchbench.web.settings")

application = get_wsgi_application()
