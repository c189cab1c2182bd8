# syntax=docker/dockerfile:1
# searchbench container image: one image, many commands (see docker/entrypoint.sh, docs/deploy.md).
#   podman build --format docker -t searchbench .        (or: docker build -t searchbench .)
# Behind a TLS-intercepting proxy, give pip the host's CA bundle for the install step only:
#   --secret id=pip_ca,src=/etc/ssl/certs/ca-certificates.crt
ARG BASE_IMAGE=python:3.11-slim-bookworm

# ---- builder: the locked dependencies in a virtualenv ------------------------------------------
FROM ${BASE_IMAGE} AS builder
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_DEFAULT_TIMEOUT=180
# binutils only for `strip`: several wheels ship unstripped shared libraries (about 30 MB of
# symbols). Libraries that auditwheel patched (an RPATH, or grafted into a .libs directory) are
# left alone: stripping a patchelf'd file corrupts it. The builder stage is thrown away.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends binutils \
    && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/venv
COPY requirements/runtime.lock /tmp/runtime.lock
# Wheels only: every locked package ships one for CPython 3.11 on manylinux, so no compiler is
# needed in either stage. The CA bundle is a build secret and pip's download cache a cache mount,
# so neither lands in a layer.
# Trimmed: numpy's test suites and Django's translations (the UI is English; the per-locale
# formats.py files stay). The app is put on sys.path by a .pth file instead of being installed,
# so a code change never touches this layer.
RUN --mount=type=cache,target=/root/.cache/pip \
    --mount=type=secret,id=pip_ca \
    if [ -s /run/secrets/pip_ca ]; then export PIP_CERT=/run/secrets/pip_ca; fi; \
    /opt/venv/bin/pip install --quiet --require-hashes --only-binary=:all: -r /tmp/runtime.lock \
    && /opt/venv/bin/pip uninstall --quiet --yes pip setuptools \
    && purelib=$(/opt/venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') \
    && echo /app > "$purelib/searchbench-app.pth" \
    && printf '#!/opt/venv/bin/python\nimport sys\nfrom searchbench.cli.main import main\nsys.exit(main())\n' \
        > /opt/venv/bin/searchbench \
    && chmod 0755 /opt/venv/bin/searchbench \
    && find "$purelib/numpy" -type d -name tests -prune -exec rm -rf {} + \
    && rm -f "$purelib/numpy/conftest.py" \
    && find /opt/venv -type f -name '*.so*' ! -path '*.libs/*' -exec sh -c 'for lib; do \
        readelf -d "$lib" | grep -qE "RPATH|RUNPATH" || strip --strip-unneeded "$lib"; \
        done' strip-unpatched {} + \
    && find "$purelib/django" -type d -path '*/locale/*/LC_MESSAGES' ! -path '*/locale/en/*' \
        -prune -exec rm -rf {} +

# ---- runtime: the venv, the app, nothing else -----------------------------------------------------
FROM ${BASE_IMAGE} AS runtime
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# psycopg[binary] bundles libpq and PyMySQL is pure Python, so the runtime needs no extra system
# libraries beyond the base. /var/log/searchbench is where SEARCHBENCH_LOG_DIR points when a log
# shipper shares the directory; a new named volume mounted there inherits its owner.
RUN useradd --uid 10001 --user-group --no-create-home --home-dir /data \
        --shell /usr/sbin/nologin searchbench \
    && mkdir -p /data /app /var/log/searchbench \
    && chown 10001:10001 /data /var/log/searchbench
COPY --from=builder /opt/venv /opt/venv
# DL3064 flags "PRIVATE" in SEARCHBENCH_ALLOW_PRIVATE_URLS by name; no value here is a secret.
# hadolint ignore=DL3064
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SEARCHBENCH_DATA_DIR=/data \
    SEARCHBENCH_STATIC_ROOT=/app/staticfiles \
    DJANGO_SETTINGS_MODULE=searchbench.web.settings \
    SEARCHBENCH_ALLOW_PRIVATE_URLS=0 \
    SEARCHBENCH_ALLOWED_HOSTS=127.0.0.1,localhost \
    PORT=8000 \
    WEB_CONCURRENCY=2
WORKDIR /app
COPY docker/entrypoint.sh docker/gunicorn.conf.py docker/wait_for_db.py /app/docker/
COPY searchbench /app/searchbench
# Bytecode is compiled now because the root filesystem is read-only at run time. Static files are
# collected with a throwaway key: it signs nothing that outlives this build step.
RUN python -m compileall -q -j 0 /app \
    && SEARCHBENCH_SECRET_KEY=collectstatic-only-not-a-secret SEARCHBENCH_DATA_DIR=/tmp/build-data \
        django-admin collectstatic --noinput --verbosity 0 \
    && rm -rf /tmp/build-data \
    && python -m compileall -q /app/docker

VOLUME ["/data"]
EXPOSE 8000
USER 10001:10001
HEALTHCHECK --interval=15s --timeout=4s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=3)"]
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["web"]

# Last, so a new version or revision only adds these small layers to a cached build.
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG CREATED=1970-01-01T00:00:00Z
ARG SOURCE=https://github.com/searchbench/searchbench
ENV SEARCHBENCH_REVISION=${REVISION}
LABEL org.opencontainers.image.title="searchbench" \
      org.opencontainers.image.description="A search-relevance workbench" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="Apache-2.0"
