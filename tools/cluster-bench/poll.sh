#!/bin/bash
# poll.sh STREAMS: what one cluster node's poll of the catalog costs PostgreSQL
# with STREAMS streams (their ingest_heads rows and stream: leases, ten live
# nodes), timed by pgbench on one connection against a throwaway server.
set -u
N=$1; W=${W:-/tmp/cluster-poll}; rm -rf $W; mkdir -p $W; chmod 777 $W
PGB=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin | tail -1)}; PORT=55441
install -d -o postgres $W/pg
su postgres -s /bin/sh -c "$PGB/initdb -D $W/pg/data -U postgres --locale C -A trust >/dev/null"
su postgres -s /bin/sh -c "$PGB/pg_ctl -D $W/pg/data -o '-p $PORT -k /tmp -c listen_addresses=127.0.0.1' -l $W/pg/log -w start >/dev/null"
P="psql -h 127.0.0.1 -p $PORT -U postgres -q"
$P -c "CREATE TABLE ingest_heads (stream_id TEXT PRIMARY KEY, head_seq BIGINT NOT NULL, indexed_seq BIGINT NOT NULL DEFAULT 0, manifest_gen BIGINT NOT NULL DEFAULT 0)"
$P -c "CREATE TABLE leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, epoch BIGINT NOT NULL, expiry BIGINT NOT NULL)"
$P -c "INSERT INTO ingest_heads SELECT md5(i::text), i, i FROM generate_series(1,$N) i"
$P -c "INSERT INTO leases SELECT 'stream:'||md5(i::text), 'node-'||(i%10), 1, 9999999999999 FROM generate_series(1,$N) i"
$P -c "INSERT INTO leases SELECT 'node:node-'||i, 'node-'||i, 1, 9999999999999 FROM generate_series(0,9) i"
$P -c "VACUUM ANALYZE"
cat > $W/poll.sql <<'SQL'
SELECT stream_id, head_seq, indexed_seq, manifest_gen FROM ingest_heads;
SELECT name, owner, epoch, expiry FROM leases WHERE name >= 'node:' AND name < 'node;' AND expiry > (extract(epoch from now())*1000)::bigint ORDER BY name;
SELECT name, owner, epoch, expiry FROM leases WHERE name >= 'stream:' AND name < 'stream;' AND expiry > (extract(epoch from now())*1000)::bigint ORDER BY name;
SQL
$PGB/pgbench -h 127.0.0.1 -p $PORT -U postgres -n -c 1 -T 10 -f $W/poll.sql postgres 2>&1 | grep -E "tps|latency average"
su postgres -s /bin/sh -c "$PGB/pg_ctl -D $W/pg/data -m fast stop >/dev/null"
