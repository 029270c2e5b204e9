#!/usr/bin/env bash
# Fault drills: a worker killed with -9 mid-job, Redis down during writes,
# PostgreSQL restarted under 20 writers. Prints, per drill, jobs expected /
# done once / duplicated / lost and acknowledged writes vs rows present.
#
#   benchmarks/faults.sh          (about 3 minutes; needs .venv, made like ./dev if missing)
#
# Starts its own PostgreSQL (initdb into a temp dir) and Redis on 127.0.0.1,
# ports FAULTS_PG_PORT (55432), FAULTS_REDIS_PORT (56379), FAULTS_APP_PORT (58000);
# never touches the shared servers on 5432/6379. Everything it started is
# stopped and its temp dir removed on exit (FAULTS_KEEP=1 keeps the logs). The drill logic is benchmarks/faults.py.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_PORT=${FAULTS_PG_PORT:-55432}
REDIS_PORT=${FAULTS_REDIS_PORT:-56379}
APP_PORT=${FAULTS_APP_PORT:-58000}
# A short lease so a message the killed worker held comes back within the drill (our default is 900 s).
LEASE=${FAULTS_LEASE_SECONDS:-30}

if [ ! -x .venv/bin/yishi ]; then
    echo "==> creating .venv (as ./dev does)" >&2
    "${PYTHON:-python3}" -m venv .venv
    .venv/bin/python -m pip install -q -e '.[test]'
fi

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in "$PG_PORT" "$REDIS_PORT" "$APP_PORT"; do
    if port_busy "$port"; then echo "!! port $port on 127.0.0.1 is in use; set FAULTS_*_PORT" >&2; exit 1; fi
done

PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
# PostgreSQL refuses to run as root: its files and processes belong to the postgres user then.
AS=()
if [ "$(id -u)" = 0 ]; then AS=(runuser -u postgres --); fi

TMP=$(mktemp -d /tmp/yishi-faults.XXXXXX)
chmod 755 "$TMP"
: > "$TMP/pids"

cleanup() {
    set +e
    # Only the processes this run started, by pid.
    while read -r pid; do [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; done < "$TMP/pids"
    sleep 1
    while read -r pid; do [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; done < "$TMP/pids"
    [ -f "$TMP/redis.pid" ] && kill "$(cat "$TMP/redis.pid")" 2>/dev/null
    [ -f "$TMP/pg/postmaster.pid" ] && "${AS[@]}" "$PGBIN/pg_ctl" -D "$TMP/pg" -m immediate stop >/dev/null 2>&1
    if [ -n "${FAULTS_KEEP:-}" ]; then echo "logs kept in $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT INT TERM

echo "==> private PostgreSQL on 127.0.0.1:$PG_PORT, Redis on 127.0.0.1:$REDIS_PORT (temp dir $TMP)"
mkdir "$TMP/pg" "$TMP/pgsock"
[ ${#AS[@]} -gt 0 ] && chown postgres "$TMP/pg" "$TMP/pgsock"
"${AS[@]}" "$PGBIN/initdb" -D "$TMP/pg" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
cat >> "$TMP/pg/postgresql.conf" <<EOF
port = $PG_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$TMP/pgsock'
max_connections = 200
EOF
"${AS[@]}" "$PGBIN/pg_ctl" -D "$TMP/pg" -l "$TMP/pg/server.log" -w start >/dev/null
"$PGBIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres yishi_drill

cat > "$TMP/redis.conf" <<EOF
port $REDIS_PORT
bind 127.0.0.1
save ""
appendonly no
daemonize yes
pidfile $TMP/redis.pid
logfile $TMP/redis.log
dir $TMP
EOF
redis-server "$TMP/redis.conf"

# The drill's plugin (route + job, in faults.py) reaches the unchanged yishi
# commands through an entry point that exists only on this run's PYTHONPATH.
mkdir -p "$TMP/site/yishi_fault_drill-0.dist-info"
printf 'Metadata-Version: 2.1\nName: yishi-fault-drill\nVersion: 0\n' > "$TMP/site/yishi_fault_drill-0.dist-info/METADATA"
printf '[yishi.plugins]\nfault_drill = faults\n' > "$TMP/site/yishi_fault_drill-0.dist-info/entry_points.txt"

.venv/bin/python benchmarks/faults.py \
    --tmp "$TMP" --pg-port "$PG_PORT" --redis-port "$REDIS_PORT" --app-port "$APP_PORT" --lease "$LEASE" \
    --pg-restart "${AS[*]} $PGBIN/pg_ctl -D $TMP/pg -l $TMP/pg/server.log -m fast -w restart" \
    --redis-start "redis-server $TMP/redis.conf"
