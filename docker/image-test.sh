#!/usr/bin/env bash
# The image pipeline (`make image-test`, run by .ci/run as root on a fresh Debian machine):
#   1. build the base if not cached, build the image (cold), rebuild after a one-file code change
#   2. hadolint, container-structure-test
#   3. a registry on loopback: push, delete the local image, pull back by digest, skopeo labels
#   4. a private PostgreSQL; `migrate` as a one-off; create a user; start `web` and a `worker`;
#      wait for healthy
#   5. the integration suite against the running containers (runs go through the worker), and
#      against the image's `demo` (web and worker in one container)
#   6. a second version (tag, revision, database, port) beside the first; both healthy
#   7. the log shipper receives a request with a known X-Request-ID
#   8. `podman stop` makes the web and worker containers exit by themselves within 10 s
#   9. compose.yaml for real: PostgreSQL from Debian's packages (docker/compose.debian-db.yaml),
#      migrate, web and 3 workers; a case run through the workers; compose down
#  10. a summary table; everything torn down (logs dumped on failure)
# Idempotent; uses only 127.0.0.1 and random high ports; installs its apt packages if missing.
# Environment: BASE_IMAGE (default: a debootstrap bookworm base built and cached here),
# KEEP=1 (leave containers running for debugging), VENV (default .venv).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
export CONTAINERS_CONF="$REPO/docker/containers.conf"
export DEBIAN_FRONTEND=noninteractive
VENV=${VENV:-$REPO/.venv}
PY="$VENV/bin/python"
BASE_IMAGE=${BASE_IMAGE:-localhost/debian-python:bookworm}
RUN_ID="sbit$$"
IMAGE="localhost/searchbench"
VERSION=$("$PY" -c 'import searchbench; print(searchbench.__version__)')
REVISION=$(git rev-parse HEAD 2>/dev/null || echo 0000000000000000000000000000000000000000)
SHORT=${REVISION:0:12}
CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
TAG1="$VERSION-$SHORT"
TAG2="$VERSION-$SHORT-next"
REVISION2="$REVISION-next"
WORK=$(mktemp -d /var/tmp/searchbench-image-test.XXXXXX)
chmod 0755 "$WORK"
CONTAINERS=()
VOLUMES=()
IMAGES=()
PIDS=()
PG_DATA=""
declare -A SUMMARY=()

log() { printf '\n== %s [%s]\n' "$*" "$(date -u +%H:%M:%S)"; }
fail() { printf '\nFAILED: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
# How many lines of stdin match: reads it all. (`producer | grep -q` under pipefail fails when
# grep stops at the first match and the producer is still writing: SIGPIPE, status 141.)
count_lines() { grep -c -e "$1" || true; }
has_line() { [ "$(count_lines "$1")" -gt 0 ]; }
since() { "$PY" -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$(now)"; }
free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

cleanup() {
    local rc=$?
    set +e
    if [ "$rc" -ne 0 ]; then
        log "logs (the pipeline failed with exit code $rc)"
        for c in "${CONTAINERS[@]}"; do
            podman container exists "$c" || continue
            echo "--- podman logs $c (last 60 lines)"
            podman logs --tail 60 "$c" 2>&1
        done
        for f in "$WORK"/*.log "$WORK"/pglog/*.log; do
            # Build logs were quoted where a build failed.
            [ -f "$f" ] && [[ "$f" != */build-* ]] || continue
            echo "--- $f (last 30 lines)"
            tail -n 30 "$f"
        done
    fi
    if [ "${KEEP:-0}" = "1" ]; then
        echo "KEEP=1: leaving containers, volumes and $WORK in place"
        exit "$rc"
    fi
    if [ "${COMPOSE_UP:-0}" = "1" ]; then
        (cd "$WORK/compose" && "$VENV/bin/podman-compose" -f compose.yaml \
            -f docker/compose.debian-db.yaml down -v -t 2) >/dev/null 2>&1
    fi
    for c in "${CONTAINERS[@]}"; do podman rm -f -t 2 "$c" >/dev/null 2>&1; done
    for v in "${VOLUMES[@]}"; do podman volume rm -f "$v" >/dev/null 2>&1; done
    for i in "${IMAGES[@]}"; do podman rmi -f "$i" >/dev/null 2>&1; done
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    if [ -n "$PG_DATA" ] && [ -f "$PG_DATA/postmaster.pid" ]; then
        su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D '$PG_DATA' -m fast -w stop" >/dev/null 2>&1
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- 0. tools -----------------------------------------------------------------------------------
log "0. tools"
# (the dnsname CNI plugin lets compose's containers find each other by service name)
PACKAGES=(podman buildah skopeo runc debootstrap docker-registry postgresql uidmap fuse-overlayfs
    golang-github-containernetworking-plugin-dnsname)
missing=()
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for tool in hadolint container-structure-test; do
    [ -x "$VENV/bin/$tool" ] || fail "$VENV/bin/$tool is missing: run make venv (requirements/dev.lock)"
done
PG_VERSION=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
PG_BIN="/usr/lib/postgresql/$PG_VERSION/bin"
podman --version

# ---- 1. build -----------------------------------------------------------------------------------
log "1. base image $BASE_IMAGE"
if [ "$BASE_IMAGE" = "localhost/debian-python:bookworm" ]; then
    bash "$REPO/docker/build-base.sh" "$BASE_IMAGE"
fi

# The build context is a copy, so the code-only rebuild can change a file without touching the
# checkout. .dockerignore still applies to it.
CTX="$WORK/context"
mkdir -p "$CTX/requirements" "$CTX/docker"
cp Dockerfile .dockerignore "$CTX/"
cp requirements/runtime.lock "$CTX/requirements/"
cp docker/entrypoint.sh docker/gunicorn.conf.py docker/wait_for_db.py "$CTX/docker/"
cp -r searchbench "$CTX/searchbench"
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
build() {  # build TAG REVISION [extra podman args…]
    local tag=$1 revision=$2
    shift 2
    podman build --format docker --network host \
        --secret "id=pip_ca,src=$CA_BUNDLE" \
        --build-arg "BASE_IMAGE=$BASE_IMAGE" --build-arg "VERSION=$VERSION" \
        --build-arg "REVISION=$revision" --build-arg "CREATED=$CREATED" \
        --label "searchbench.image-test=$RUN_ID" \
        -t "$IMAGE:$tag" "$@" "$CTX" >"$WORK/build-$tag.log" 2>&1 \
        || { tail -n 40 "$WORK/build-$tag.log"; fail "podman build of $IMAGE:$tag"; }
    IMAGES+=("$IMAGE:$tag")
}
layers() { podman image inspect --format '{{range .RootFS.Layers}}{{println .}}{{end}}' "$1"; }

# `--no-cache` would not leave a cache the rebuild below could use (buildah skips caching the
# metadata-only steps then), so the first build is cold on a fresh machine and says when it was not.
log "1. build $IMAGE:$TAG1"
t=$(now)
build "$TAG1" "$REVISION"
SUMMARY[cold_build]="$(since "$t") s"
if grep -A1 'pip install' "$WORK/build-$TAG1.log" | has_line 'Using cache'; then
    SUMMARY[cold_build]="${SUMMARY[cold_build]} (deps cached)"
fi
SIZE_BYTES=$(podman image inspect --format '{{.Size}}' "$IMAGE:$TAG1")
SUMMARY[size]="$((SIZE_BYTES / 1000000)) MB"
echo "built in ${SUMMARY[cold_build]}, ${SUMMARY[size]} uncompressed"

log "1. code-only rebuild $IMAGE:$TAG2 (one source file changed)"
printf '\n# image-test %s: a code-only change\n' "$RUN_ID" >>"$CTX/searchbench/__init__.py"
t=$(now)
build "$TAG2" "$REVISION2"
SUMMARY[rebuild]="$(since "$t") s"
# The venv is the largest layer of the base-plus-dependencies prefix both images must share.
mapfile -t L1 < <(layers "$IMAGE:$TAG1")
mapfile -t L2 < <(layers "$IMAGE:$TAG2")
shared=0
for i in "${!L1[@]}"; do
    [ "${L1[$i]}" = "${L2[$i]:-}" ] || break
    shared=$((shared + 1))
done
grep -q 'Using cache' "$WORK/build-$TAG2.log" || fail "the rebuild used no cached step"
grep -E 'COPY --from=builder /opt/venv' -A1 "$WORK/build-$TAG2.log" | has_line 'Using cache' \
    || fail "the dependency layer (COPY --from=builder /opt/venv) was rebuilt"
[ "$shared" -ge 3 ] || fail "the images share only $shared layers; base, user and venv expected"
echo "rebuilt in ${SUMMARY[rebuild]}; dependency layer reused: ${L1[2]} (shared layers: $shared of ${#L1[@]})"
SUMMARY[rebuild]="${SUMMARY[rebuild]} (deps layer reused)"

# ---- 2. lint and structure ----------------------------------------------------------------------
log "2. hadolint"
"$VENV/bin/hadolint" --failure-threshold style Dockerfile docker/logshipper/Dockerfile docker/postgres/Dockerfile
echo "hadolint: no findings"

log "2. no secrets in the image's environment or history"
if podman image inspect --format '{{json .Config.Env}}' "$IMAGE:$TAG1" \
    | grep -Eiq '(SECRET_KEY|PASSWORD|TOKEN)[A-Z_]*=[^",]'; then
    fail "the image's ENV holds a secret-looking value"
fi
# (the collectstatic step's throwaway key is the one allowed exception)
if podman history --no-trunc --format '{{.CreatedBy}}' "$IMAGE:$TAG1" \
    | sed 's/SEARCHBENCH_SECRET_KEY=collectstatic-only-not-a-secret//g' \
    | grep -Eq 'BEGIN CERTIFICATE|SECRET_KEY=|PASSWORD='; then
    fail "the image's history holds a secret-looking value"
fi
echo "ENV and history: clean"

log "2. container-structure-test"
SOCK="$WORK/podman.sock"
podman system service --time=0 "unix://$SOCK" >"$WORK/podman-service.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
DOCKER_HOST="unix://$SOCK" "$VENV/bin/container-structure-test" test --image "$IMAGE:$TAG1" \
    --config docker/structure-test.yaml >"$WORK/structure-test.log" 2>&1 \
    || { grep -B2 -A4 -- '--- FAIL' "$WORK/structure-test.log"; fail "container-structure-test"; }
grep -E '^(Passes|Failures|Total tests):' "$WORK/structure-test.log"

log "2. compose file"
(cd "$WORK" && cp "$REPO/compose.yaml" "$REPO/.env.example" . && cp .env.example .env \
    && SEARCHBENCH_SECRET_KEY=config-check POSTGRES_PASSWORD=config-check \
        "$VENV/bin/podman-compose" -f compose.yaml config >compose-config.out 2>compose-config.log) \
    || fail "podman-compose config rejected compose.yaml"
for service in migrate web worker db; do
    grep -q "^  $service:" "$WORK/compose-config.out" || fail "compose.yaml has no service $service"
done
echo "compose.yaml: valid"

# ---- 3. registry --------------------------------------------------------------------------------
log "3. registry on loopback"
REG_PORT=$(free_port)
REG="127.0.0.1:$REG_PORT"
cat >"$WORK/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $WORK/registry-data
  delete:
    enabled: true
http:
  addr: $REG
EOF
docker-registry serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do "$PY" -c "import urllib.request; urllib.request.urlopen('http://$REG/v2/')" 2>/dev/null && break; sleep 0.2; done
push_pull() {  # push_pull TAG -> prints the pulled reference (by digest); runs in a subshell
    local tag=$1 digest
    podman push --quiet --tls-verify=false --digestfile "$WORK/digest-$tag" \
        "$IMAGE:$tag" "$REG/searchbench:$tag" >&2
    digest=$(cat "$WORK/digest-$tag")
    podman rmi "$IMAGE:$tag" >/dev/null
    podman image exists "$IMAGE:$tag" && fail "$IMAGE:$tag still exists after podman rmi"
    podman pull --quiet --tls-verify=false "$REG/searchbench@$digest" >/dev/null
    echo "$REG/searchbench@$digest"
}
label() {  # label REF KEY
    skopeo inspect --tls-verify=false "docker://$1" \
        | "$PY" -c "import json, sys; print(json.load(sys.stdin)['Labels'].get(sys.argv[1], ''))" "$2"
}
REF1=$(push_pull "$TAG1")
IMAGES+=("$(podman image inspect --format '{{.Id}}' "$REF1")")
REF2=$(push_pull "$TAG2")
IMAGES+=("$(podman image inspect --format '{{.Id}}' "$REF2")")
echo "pulled by digest: $REF1"
echo "pulled by digest: $REF2"
for pair in "$REF1 $REVISION" "$REF2 $REVISION2"; do
    set -- $pair
    got=$(label "$1" org.opencontainers.image.revision)
    [ "$got" = "$2" ] || fail "label revision of $1 is '$got', expected '$2'"
    got=$(label "$1" org.opencontainers.image.version)
    [ "$got" = "$VERSION" ] || fail "label version of $1 is '$got', expected '$VERSION'"
done
[ -n "$(podman image inspect --format '{{.Config.Healthcheck}}' "$REF1")" ] \
    || fail "the pulled image lost its HEALTHCHECK"
COMPRESSED=$(skopeo inspect --tls-verify=false --raw "docker://$REF1" \
    | "$PY" -c "import json, sys; print(sum(l['size'] for l in json.load(sys.stdin)['layers']))")
SUMMARY[compressed]="$((COMPRESSED / 1000000)) MB"
echo "labels checked with skopeo; compressed size in the registry: ${SUMMARY[compressed]}"

# ---- 4. database, migrate, user, web ------------------------------------------------------------
log "4. PostgreSQL $PG_VERSION (private cluster)"
PG_PORT=$(free_port)
PG_DATA="$WORK/pg"
mkdir -p "$PG_DATA" "$WORK/pgsock" "$WORK/pglog"
chown postgres:postgres "$PG_DATA" "$WORK/pgsock" "$WORK/pglog"
su postgres -s /bin/sh -c "$PG_BIN/initdb -D '$PG_DATA' -U postgres --auth-local=trust \
    --auth-host=scram-sha-256 -E UTF8 >'$WORK/pglog/initdb.log' 2>&1" || fail "initdb"
su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D '$PG_DATA' -w -l '$WORK/pglog/postgresql.log' \
    -o \"-p $PG_PORT -k $WORK/pgsock -c listen_addresses=127.0.0.1\" start >/dev/null" || fail "pg_ctl start"
psql_admin() { su postgres -s /bin/sh -c "psql -h '$WORK/pgsock' -p $PG_PORT -qAt -v ON_ERROR_STOP=1 -c \"$1\""; }
DB_PASSWORD=$("$PY" -c 'import secrets; print(secrets.token_hex(16))')
psql_admin "CREATE ROLE searchbench LOGIN PASSWORD '$DB_PASSWORD'"
psql_admin "CREATE DATABASE sb1 OWNER searchbench"
psql_admin "CREATE DATABASE sb2 OWNER searchbench"
echo "PostgreSQL on 127.0.0.1:$PG_PORT"

# Secrets reach the containers as files (NAME_FILE), never as image layers or command lines.
SECRETS="$WORK/secrets"
mkdir -p "$SECRETS"
"$PY" -c 'import secrets; print(secrets.token_urlsafe(50))' >"$SECRETS/secret_key"
echo "postgres://searchbench:$DB_PASSWORD@127.0.0.1:$PG_PORT/sb1" >"$SECRETS/db1"
echo "postgres://searchbench:$DB_PASSWORD@127.0.0.1:$PG_PORT/sb2" >"$SECRETS/db2"
chmod 0644 "$SECRETS"/*
LOGIN_USER=integration
LOGIN_PASSWORD=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(12))')

run_common() {  # arguments shared by every container of stack N
    local n=$1
    echo --network host --read-only --tmpfs /tmp \
        -v "$SECRETS:/run/secrets:ro" \
        -e SEARCHBENCH_SECRET_KEY_FILE=/run/secrets/secret_key \
        -e "DATABASE_URL_FILE=/run/secrets/db$n" \
        -e SEARCHBENCH_DB_WAIT=20 \
        -v "$RUN_ID-data$n:/data"
}
VOLUMES+=("$RUN_ID-data1" "$RUN_ID-data2" "$RUN_ID-logs" "$RUN_ID-shipped" "$RUN_ID-shipper-state")

setup_stack() {  # setup_stack N REF: migrate, create the login user and the local index
    local n=$1 ref=$2
    podman run --rm --name "$RUN_ID-migrate$n" $(run_common "$n") "$ref" migrate \
        >"$WORK/migrate$n.log" 2>&1 || { tail -n 30 "$WORK/migrate$n.log"; fail "migrate (stack $n)"; }
    podman run --rm $(run_common "$n") -e "DJANGO_SUPERUSER_PASSWORD=$LOGIN_PASSWORD" "$ref" \
        manage createsuperuser --noinput --username "$LOGIN_USER" --email it@example.invalid \
        >"$WORK/createuser$n.log" 2>&1 || { cat "$WORK/createuser$n.log"; fail "createsuperuser (stack $n)"; }
    "$PY" -m tests.integration.corpus >"$WORK/corpus.jsonl"
    podman run --rm $(run_common "$n") -v "$WORK/corpus.jsonl:/tmp/corpus.jsonl:ro" "$ref" \
        searchbench index create integration --from /tmp/corpus.jsonl --quiet --owner "$LOGIN_USER" \
        >"$WORK/index$n.log" 2>&1 || { tail -n 30 "$WORK/index$n.log"; fail "index create (stack $n)"; }
}

start_web() {  # start_web N REF PORT [extra podman args…] -> seconds to healthy
    # Runs in a subshell ($(…)): the caller registers "$RUN_ID-webN" in CONTAINERS beforehand.
    local n=$1 ref=$2 port=$3
    shift 3
    local name="$RUN_ID-web$n" t
    t=$(now)
    podman run -d --name "$name" $(run_common "$n") -e "PORT=$port" -e WEB_CONCURRENCY=2 \
        -e "GUNICORN_CMD_ARGS=--bind 127.0.0.1:$port" "$@" "$ref" web >/dev/null
    for _ in $(seq 300); do
        if podman healthcheck run "$name" >/dev/null 2>&1 \
            && "$PY" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/healthz', timeout=2)" 2>/dev/null; then
            since "$t"
            return 0
        fi
        [ "$(podman inspect --format '{{.State.Running}}' "$name")" = "true" ] || fail "$name exited while starting"
        sleep 0.1
    done
    fail "$name was not healthy within 30 s"
}

log "4. stack 1: migrate (one-off), user, index"
setup_stack 1 "$REF1"
log "4. stack 1: web"
PORT1=$(free_port)
LOGS_MOUNT=(-v "$RUN_ID-logs:/var/log/searchbench" -e SEARCHBENCH_LOG_DIR=/var/log/searchbench)
CONTAINERS+=("$RUN_ID-web1")
SUMMARY[healthy]="$(start_web 1 "$REF1" "$PORT1" "${LOGS_MOUNT[@]}") s"
echo "web 1 healthy on 127.0.0.1:$PORT1 after ${SUMMARY[healthy]}"
log "4. stack 1: worker"
CONTAINERS+=("$RUN_ID-worker1")
podman run -d --name "$RUN_ID-worker1" $(run_common 1) "${LOGS_MOUNT[@]}" "$REF1" worker >/dev/null
for _ in $(seq 150); do
    podman logs "$RUN_ID-worker1" 2>&1 | has_line 'worker_ready' && break
    [ "$(podman inspect --format '{{.State.Running}}' "$RUN_ID-worker1")" = "true" ] \
        || fail "the worker exited while starting"
    sleep 0.2
done
podman logs "$RUN_ID-worker1" 2>&1 | has_line 'worker_ready' || fail "the worker did not say worker_ready"
echo "worker 1 running"

# ---- 5. integration tests -----------------------------------------------------------------------
log "5. integration tests against http://127.0.0.1:$PORT1"
"$PY" -m pytest tests/integration -p no:cacheprovider -q --base-url "http://127.0.0.1:$PORT1" \
    --login "$LOGIN_USER:$LOGIN_PASSWORD" --local-index integration

log "5. integration tests against the image's embedded demo (demo/demo, index demo)"
PORT_DEMO=$(free_port)
CONTAINERS+=("$RUN_ID-demo")
VOLUMES+=("$RUN_ID-demo-data")
podman run -d --name "$RUN_ID-demo" --read-only --tmpfs /tmp -v "$RUN_ID-demo-data:/data" \
    -p "127.0.0.1:$PORT_DEMO:8000" "$REF1" demo >/dev/null
for _ in $(seq 240); do
    "$PY" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT_DEMO/healthz', timeout=2)" 2>/dev/null && break
    [ "$(podman inspect --format '{{.State.Running}}' "$RUN_ID-demo")" = "true" ] || fail "the demo container exited"
    sleep 0.5
done
"$PY" -m pytest tests/integration -p no:cacheprovider -q --base-url "http://127.0.0.1:$PORT_DEMO" \
    --login demo:demo --local-index demo
podman rm -f -t 5 "$RUN_ID-demo" >/dev/null

# ---- 6. a second version beside the first -------------------------------------------------------
log "6. stack 2: $REF2"
setup_stack 2 "$REF2"
PORT2=$(free_port)
CONTAINERS+=("$RUN_ID-web2")
healthy2=$(start_web 2 "$REF2" "$PORT2")
echo "web 2 healthy on 127.0.0.1:$PORT2 after $healthy2 s"
podman healthcheck run "$RUN_ID-web1" >/dev/null || fail "web 1 is no longer healthy beside web 2"
revision_of() {
    "$PY" -c "import json, urllib.request; print(json.load(urllib.request.urlopen('http://127.0.0.1:$1/healthz'))['revision'])"
}
got1=$(revision_of "$PORT1")
got2=$(revision_of "$PORT2")
[ "$got1" = "$REVISION" ] || fail "/healthz of web 1 reports revision $got1, expected $REVISION"
[ "$got2" = "$REVISION2" ] || fail "/healthz of web 2 reports revision $got2, expected $REVISION2"
echo "side by side: :$PORT1 -> $got1, :$PORT2 -> $got2"

# ---- 7. the log shipper -------------------------------------------------------------------------
log "7. log shipper"
SHIPPER_IMAGE="localhost/searchbench-logshipper:$TAG1"
podman build --format docker --network host --build-arg "BASE_IMAGE=$BASE_IMAGE" \
    -t "$SHIPPER_IMAGE" docker/logshipper >"$WORK/build-logshipper.log" 2>&1 \
    || { tail -n 30 "$WORK/build-logshipper.log"; fail "building the log shipper"; }
IMAGES+=("$SHIPPER_IMAGE")
CONTAINERS+=("$RUN_ID-shipper")
podman run -d --name "$RUN_ID-shipper" --read-only --tmpfs /tmp \
    -v "$RUN_ID-logs:/logs:ro" -v "$RUN_ID-shipped:/shipped" \
    -v "$RUN_ID-shipper-state:/var/spool/rsyslog" "$SHIPPER_IMAGE" >/dev/null
REQUEST_ID="image-test-$RUN_ID-$("$PY" -c 'import secrets; print(secrets.token_hex(6))')"
"$PY" - "$PORT1" "$REQUEST_ID" <<'EOF'
import sys, urllib.request
port, request_id = sys.argv[1], sys.argv[2]
req = urllib.request.Request(f"http://127.0.0.1:{port}/accounts/login/", headers={"X-Request-ID": request_id})
with urllib.request.urlopen(req, timeout=5) as resp:
    echoed = resp.headers.get("X-Request-ID")
if echoed != request_id:
    sys.exit(f"X-Request-ID not echoed: sent {request_id}, got {echoed}")
EOF
SHIPPED=$(podman volume inspect --format '{{.Mountpoint}}' "$RUN_ID-shipped")/searchbench.log
for _ in $(seq 100); do grep -qs "\"request_id\": \"$REQUEST_ID\"" "$SHIPPED" && break; sleep 0.2; done
grep -s "\"request_id\": \"$REQUEST_ID\"" "$SHIPPED" | head -n 1 \
    || fail "request $REQUEST_ID did not reach the shipper's destination $SHIPPED"
echo "request $REQUEST_ID: logged by web 1, shipped by rsyslog"

# ---- 8. graceful stop ---------------------------------------------------------------------------
log "8. podman stop (10 s grace)"
t=$(now)
podman stop -t 10 "$RUN_ID-web1" >/dev/null
stop_s=$(since "$t")
code=$(podman inspect --format '{{.State.ExitCode}}' "$RUN_ID-web1")
[ "$code" = "0" ] || fail "web 1 exited with code $code after SIGTERM (137 means it was killed)"
"$PY" -c "import sys; sys.exit(0 if float(sys.argv[1]) < 10 else 1)" "$stop_s" \
    || fail "web 1 took $stop_s s to stop"
SUMMARY[stop]="$stop_s s"
echo "web 1 exited with code 0 after $stop_s s"
t=$(now)
podman stop -t 10 "$RUN_ID-worker1" >/dev/null
stop_w=$(since "$t")
code=$(podman inspect --format '{{.State.ExitCode}}' "$RUN_ID-worker1")
[ "$code" = "0" ] || fail "worker 1 exited with code $code after SIGTERM (137 means it was killed)"
SUMMARY[stop_worker]="$stop_w s"
echo "worker 1 exited with code 0 after $stop_w s"

# ---- 9. compose for real ------------------------------------------------------------------------
log "9. compose: Debian PostgreSQL, migrate, web, 3 workers"
COMPOSE_DIR="$WORK/compose"
mkdir -p "$COMPOSE_DIR/docker"
cp compose.yaml .env.example "$COMPOSE_DIR/"
cp -r docker/postgres docker/compose.debian-db.yaml "$COMPOSE_DIR/docker/"
COMPOSE_TAG="compose-$RUN_ID"
podman tag "$REF1" "$IMAGE:$COMPOSE_TAG"
IMAGES+=("$IMAGE:$COMPOSE_TAG" "$IMAGE-postgres:$COMPOSE_TAG")
COMPOSE_PORT=$(free_port)
{
    echo "COMPOSE_PROJECT_NAME=$RUN_ID"
    echo "SEARCHBENCH_IMAGE=$IMAGE"
    echo "SEARCHBENCH_TAG=$COMPOSE_TAG"
    echo "SEARCHBENCH_PORT=$COMPOSE_PORT"
    echo "SEARCHBENCH_SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')"
    echo "POSTGRES_PASSWORD=$("$PY" -c 'import secrets; print(secrets.token_hex(16))')"
    echo "POSTGRES_BASE_IMAGE=$BASE_IMAGE"
    echo "SEARCHBENCH_DB_WAIT=60"
    echo "SEARCHBENCH_JOB_CHUNK_SIZE=10"  # 60 chunks of the 600-query case (a few seconds' work), for 3 workers to share
    echo "SEARCHBENCH_WORKER_PROCESSES=1"
} >"$COMPOSE_DIR/.env"
compose() { (cd "$COMPOSE_DIR" && "$VENV/bin/podman-compose" -f compose.yaml -f docker/compose.debian-db.yaml "$@"); }
COMPOSE_UP=1
t=$(now)
compose build db >"$WORK/compose-build.log" 2>&1 || { tail -n 30 "$WORK/compose-build.log"; fail "compose build db"; }
# In stages: podman 4.3 (Debian bookworm) cannot start a container whose --requires chain runs
# through a finished one-off (migrate), so `up` is told the order instead (Docker Compose and
# newer podman need only the last command, without --no-deps).
compose up -d db >"$WORK/compose-up.log" 2>&1 || { tail -n 40 "$WORK/compose-up.log"; fail "compose up db"; }
compose up -d --no-deps migrate >>"$WORK/compose-up.log" 2>&1 || { tail -n 40 "$WORK/compose-up.log"; fail "compose up migrate"; }
MIGRATE_C=$(podman ps -a --filter "label=io.podman.compose.project=$RUN_ID" \
    --filter "label=com.docker.compose.service=migrate" --format '{{.Names}}' | head -n 1)
code=$(podman wait "$MIGRATE_C")
[ "$code" = "0" ] || { podman logs --tail 30 "$MIGRATE_C"; fail "compose migrate exited with $code"; }
compose up -d --no-deps --scale worker=3 web worker >>"$WORK/compose-up.log" 2>&1 \
    || { tail -n 40 "$WORK/compose-up.log"; fail "compose up web and workers"; }
for _ in $(seq 600); do
    "$PY" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$COMPOSE_PORT/healthz', timeout=2)" 2>/dev/null && break
    sleep 0.2
done
"$PY" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$COMPOSE_PORT/healthz', timeout=2)" \
    || { compose ps; tail -n 40 "$WORK/compose-up.log"; fail "the compose stack's web is not healthy on :$COMPOSE_PORT"; }
SUMMARY[compose_up]="$(since "$t") s"
mapfile -t WORKERS < <(podman ps --filter "label=io.podman.compose.project=$RUN_ID" \
    --filter "label=com.docker.compose.service=worker" --format '{{.Names}}')
[ "${#WORKERS[@]}" -eq 3 ] || { compose ps; fail "expected 3 worker containers, found ${#WORKERS[@]}"; }
WEB_C=$(podman ps --filter "label=io.podman.compose.project=$RUN_ID" \
    --filter "label=com.docker.compose.service=web" --format '{{.Names}}' | head -n 1)
echo "compose up in ${SUMMARY[compose_up]}: $WEB_C, ${WORKERS[*]}"
podman exec -e "DJANGO_SUPERUSER_PASSWORD=$LOGIN_PASSWORD" "$WEB_C" django-admin createsuperuser \
    --noinput --username "$LOGIN_USER" --email it@example.invalid >/dev/null \
    || fail "createsuperuser in the compose stack"
podman exec -i "$WEB_C" sh -c 'cat >/tmp/corpus.jsonl && searchbench index create integration --from /tmp/corpus.jsonl --quiet --owner '"$LOGIN_USER" \
    <"$WORK/corpus.jsonl" || fail "index create in the compose stack"

# Every worker must be taking tasks before the run is queued: a worker still booting when the
# chunks are queued would leave them to the others.
for _ in $(seq 300); do
    ready=0
    for w in "${WORKERS[@]}"; do
        podman logs "$w" 2>&1 | has_line '"event": "worker_ready"' && ready=$((ready + 1))
    done
    [ "$ready" -eq "${#WORKERS[@]}" ] && break
    sleep 0.2
done
[ "$ready" -eq "${#WORKERS[@]}" ] || fail "only $ready of ${#WORKERS[@]} compose workers said worker_ready"

log "9. compose: a case run through the workers"
"$PY" -m tests.integration.compose_run --base-url "http://127.0.0.1:$COMPOSE_PORT" \
    --login "$LOGIN_USER:$LOGIN_PASSWORD" --local-index integration --queries 600 \
    || { for w in "${WORKERS[@]}"; do podman logs --tail 20 "$w"; done; fail "the case run through the compose workers"; }
busy=0
per_worker=()
for w in "${WORKERS[@]}"; do
    n=$(podman logs "$w" 2>&1 | count_lines '"event": "chunk_done"')
    per_worker+=("$n")
    [ "$n" -gt 0 ] && busy=$((busy + 1))
done
echo "workers that ran chunks: $busy of ${#WORKERS[@]} (chunks each: ${per_worker[*]})"
[ "$busy" -ge 2 ] || fail "only $busy of 3 workers ran a chunk of the case"
SUMMARY[compose_workers]="$busy of 3 ran chunks (${per_worker[*]})"
t=$(now)
compose down -v >"$WORK/compose-down.log" 2>&1 || { tail -n 20 "$WORK/compose-down.log"; fail "compose down"; }
COMPOSE_UP=0
echo "compose down in $(since "$t") s"

# ---- 10. summary --------------------------------------------------------------------------------
log "10. summary"
printf '| %-28s | %-26s | %-8s |\n' measure value goal
printf '|%s|%s|%s|\n' "------------------------------" "----------------------------" "----------"
printf '| %-28s | %-26s | %-8s |\n' "image size (uncompressed)" "${SUMMARY[size]}" "250 MB"
printf '| %-28s | %-26s | %-8s |\n' "image size (registry, gzip)" "${SUMMARY[compressed]}" "250 MB"
printf '| %-28s | %-26s | %-8s |\n' "first build" "${SUMMARY[cold_build]}" "-"
printf '| %-28s | %-26s | %-8s |\n' "code-only rebuild" "${SUMMARY[rebuild]}" "20 s"
printf '| %-28s | %-26s | %-8s |\n' "start to healthy" "${SUMMARY[healthy]}" "5 s"
printf '| %-28s | %-26s | %-8s |\n' "stop (SIGTERM to exit 0)" "${SUMMARY[stop]}" "10 s"
printf '| %-28s | %-26s | %-8s |\n' "worker stop (SIGTERM)" "${SUMMARY[stop_worker]}" "10 s"
printf '| %-28s | %-26s | %-8s |\n' "compose up (db, web, 3 wk)" "${SUMMARY[compose_up]}" "-"
printf '| %-28s | %-26s | %-8s |\n' "compose: workers busy" "${SUMMARY[compose_workers]}" "2 of 3"
echo
echo "image-test: all steps passed"
