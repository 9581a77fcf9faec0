#!/bin/bash
# poll.sh STREAMS [MODE]: what one cluster node's poll of the catalog costs
# PostgreSQL with STREAMS streams (their ingest_heads rows and stream:
# leases, ten live nodes), timed by pgbench on one connection against a
# throwaway server.
#
# MODE whole is the poll that reads ingest_heads and the node: and stream:
# leases whole (the schema and queries before migration 0016); MODE changes
# (the default) is catalog.PollCluster's read of the rows that changed since
# the last poll, in one REPEATABLE READ snapshot whose xmin starts the next.
# Before each poll, in both modes, what a busy cluster changes in 200 ms:
# HEADS heads move (default 200: 1,000 appends a second) and the stream
# leases' owners renew STREAMS/37.5 of them (each renewed every half term,
# 7.5 s of 15) and one node lease. pgbench times each statement (-r); the
# poll's time is the sum of its statements', the writes are left out.
set -u
N=$1; MODE=${2:-changes}; HEADS=${HEADS:-200}; RENEW=$(( N * 2 / 75 )); [ $RENEW -lt 1 ] && RENEW=1
W=${W:-/tmp/cluster-poll}; rm -rf $W; mkdir -p $W; chmod 777 $W
. "$(dirname "$0")/pg.sh"; PORT=55441
pg_start $W/pg $PORT
P="psql -h 127.0.0.1 -p $PORT -U postgres -q"
$P -c "CREATE TABLE ingest_heads (stream_id TEXT PRIMARY KEY, head_seq BIGINT NOT NULL, indexed_seq BIGINT NOT NULL DEFAULT 0, manifest_gen BIGINT NOT NULL DEFAULT 0)"
$P -c "CREATE TABLE leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, epoch BIGINT NOT NULL, expiry BIGINT NOT NULL)"
CHG=""
if [ "$MODE" = changes ]; then
  $P -c "ALTER TABLE ingest_heads ADD COLUMN changed BIGINT NOT NULL DEFAULT 0" -c "CREATE INDEX ingest_heads_by_change ON ingest_heads (changed)"
  $P -c "ALTER TABLE leases ADD COLUMN changed BIGINT NOT NULL DEFAULT 0" -c "CREATE INDEX leases_by_change ON leases (changed)"
  $P -c "CREATE TABLE ingest_heads_gone (stream_id TEXT PRIMARY KEY, changed BIGINT NOT NULL)" -c "CREATE INDEX ingest_heads_gone_by_change ON ingest_heads_gone (changed)"
  CHG=", changed = CAST(CAST(pg_current_xact_id() AS TEXT) AS BIGINT)"
fi
$P -c "INSERT INTO ingest_heads SELECT md5(i::text), i, i FROM generate_series(1,$N) i"
$P -c "INSERT INTO leases SELECT 'stream:'||md5(i::text), 'node-'||(i%10), 1, 9999999999999 FROM generate_series(1,$N) i"
$P -c "INSERT INTO leases SELECT 'node:node-'||i, 'node-'||i, 1, 9999999999999 FROM generate_series(0,9) i"
$P -c "VACUUM ANALYZE"
cat > $W/poll.sql <<SQL
\set h random(1, $N - $HEADS + 1)
\set r random(1, $N - $RENEW + 1)
\set m random(0, 9)
UPDATE ingest_heads SET head_seq = head_seq + 1$CHG WHERE stream_id IN (SELECT md5(i::text) FROM generate_series(:h, :h + $HEADS - 1) i);
UPDATE leases SET expiry = 9999999999999$CHG WHERE name IN (SELECT 'stream:'||md5(i::text) FROM generate_series(:r, :r + $RENEW - 1) i);
UPDATE leases SET expiry = 9999999999999$CHG WHERE name = 'node:node-' || :m;
SQL
if [ "$MODE" = changes ]; then
  cat >> $W/poll.sql <<'SQL'
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
SELECT CAST(CAST(pg_snapshot_xmin(pg_current_snapshot()) AS TEXT) AS BIGINT) AS next, CAST(EXTRACT(EPOCH FROM now()) * 1000 AS BIGINT) AS now_ms \gset
SELECT stream_id, head_seq, indexed_seq, manifest_gen FROM ingest_heads WHERE changed >= :since;
SELECT stream_id FROM ingest_heads_gone g WHERE changed >= :since AND NOT EXISTS (SELECT 1 FROM ingest_heads h WHERE h.stream_id = g.stream_id);
SELECT name, owner, epoch, expiry FROM leases WHERE changed >= :since;
COMMIT;
\set since :next
SQL
else
  cat >> $W/poll.sql <<'SQL'
SELECT stream_id, head_seq, indexed_seq, manifest_gen FROM ingest_heads;
SELECT name, owner, epoch, expiry FROM leases WHERE name >= 'node:' AND name < 'node;' AND expiry > (extract(epoch from now())*1000)::bigint ORDER BY name;
SELECT name, owner, epoch, expiry FROM leases WHERE name >= 'stream:' AND name < 'stream;' AND expiry > (extract(epoch from now())*1000)::bigint ORDER BY name;
SQL
fi
SINCE=$($P -Atc "SELECT pg_snapshot_xmin(pg_current_snapshot())")
$PGB/pgbench -h 127.0.0.1 -p $PORT -U postgres -n -c 1 -T ${T:-10} -r -D since=$SINCE -f $W/poll.sql postgres >$W/out 2>&1
grep -E "number of transactions actually processed" $W/out
awk -v mode=$MODE -v n=$N -v heads=$HEADS -v renew=$RENEW '
  /statement latencies/ { on = 1; next }
  on && $3 ~ /^(BEGIN|SELECT|COMMIT)$/ { poll += $1 }
  on && $3 == "UPDATE" { write += $1 }
  END { printf "%s streams=%d moved heads=%d renewed leases=%d+1: poll %.3f ms (the writes before it %.3f ms)\n", mode, n, heads, renew, poll, write }' $W/out
pg_stop $W/pg
