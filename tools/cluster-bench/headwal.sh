#!/bin/bash
# headwal.sh MODE: the WAL bytes PostgreSQL writes per update of an ingest_heads row, as each
# append makes, on the schema before migration 0016 (MODE whole: the update is heap-only) or
# with its indexed change number (MODE changes), by 20,000 updates of 1,000 rows with pgbench.
MODE=$1; W=${W:-/tmp/cluster-headwal}; rm -rf $W; mkdir -p $W; chmod 777 $W
. "$(dirname "$0")/pg.sh"; PORT=55443
pg_start $W/pg $PORT
P="psql -h 127.0.0.1 -p $PORT -U postgres -q"
$P -c "CREATE TABLE ingest_heads (stream_id TEXT PRIMARY KEY, head_seq BIGINT NOT NULL, indexed_seq BIGINT NOT NULL DEFAULT 0, manifest_gen BIGINT NOT NULL DEFAULT 0)"
CHG=""
if [ $MODE = changes ]; then $P -c "ALTER TABLE ingest_heads ADD COLUMN changed BIGINT NOT NULL DEFAULT 0" -c "CREATE INDEX ingest_heads_by_change ON ingest_heads (changed)"; CHG=", changed = CAST(CAST(pg_current_xact_id() AS TEXT) AS BIGINT)"; fi
$P -c "INSERT INTO ingest_heads SELECT md5(i::text), i, i FROM generate_series(1,1000) i" -c "VACUUM ANALYZE"
echo "\set i random(1, 1000)
UPDATE ingest_heads SET head_seq = head_seq + 1$CHG WHERE stream_id = md5(:i::text);" > $W/u.sql
L0=$($P -Atc "select pg_current_wal_lsn()")
$PGB/pgbench -h 127.0.0.1 -p $PORT -U postgres -n -c 1 -t 20000 -f $W/u.sql postgres >/dev/null 2>&1
L1=$($P -Atc "select pg_current_wal_lsn()")
echo "$MODE: $($P -Atc "select round(pg_wal_lsn_diff('$L1','$L0')/20000.0, 1)") WAL bytes per head update; HOT $($P -Atc "select n_tup_hot_upd||' of '||n_tup_upd from pg_stat_user_tables where relname='ingest_heads'")"
pg_stop $W/pg
