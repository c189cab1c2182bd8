# Starts the database servers the test suite runs on (Debian's PostgreSQL and MariaDB), creates a
# `searchbench` user and database in each, and exports SEARCHBENCH_TEST_DATABASE_URLS for `make test`.
# Sourced by .ci/run; a developer with root can source it too. Idempotent.
log() { printf '\n== %s [%s]\n' "$*" "$(date -u +%H:%M:%S)"; }

log "PostgreSQL"
PG_VERSION=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | grep -q "^$PG_VERSION main .* online"; then
    pg_ctlcluster "$PG_VERSION" main start || { pg_createcluster "$PG_VERSION" main && pg_ctlcluster "$PG_VERSION" main start; }
fi
PG_PORT=$(pg_lsclusters -h | awk -v v="$PG_VERSION" '$1==v && $2=="main" {print $3}')
su postgres -c "psql -p $PG_PORT -qtc \"SELECT 1 FROM pg_roles WHERE rolname='searchbench'\"" | grep -q 1 \
    || su postgres -c "psql -p $PG_PORT -qc \"CREATE ROLE searchbench LOGIN CREATEDB PASSWORD 'searchbench'\""
su postgres -c "psql -p $PG_PORT -qtc \"SELECT 1 FROM pg_database WHERE datname='searchbench'\"" | grep -q 1 \
    || su postgres -c "createdb -p $PG_PORT -O searchbench searchbench"

log "MariaDB"
if ! mysqladmin ping >/dev/null 2>&1; then
    service mariadb start >/dev/null 2>&1 || (mysqld_safe >/dev/null 2>&1 &)
    for _ in $(seq 60); do mysqladmin ping >/dev/null 2>&1 && break; sleep 1; done
fi
mysql -e "CREATE DATABASE IF NOT EXISTS searchbench CHARACTER SET utf8mb4;
          CREATE USER IF NOT EXISTS 'searchbench'@'127.0.0.1' IDENTIFIED BY 'searchbench';
          GRANT ALL PRIVILEGES ON *.* TO 'searchbench'@'127.0.0.1';
          FLUSH PRIVILEGES;"

export SEARCHBENCH_TEST_DATABASE_URLS="postgres://searchbench:searchbench@127.0.0.1:$PG_PORT/searchbench mysql://searchbench:searchbench@127.0.0.1:3306/searchbench"

