#!/bin/bash
# ingest.sh BIN NODES LINES [SENDERS]: starts PostgreSQL (fsync on, as the
# postgres user), versitygw and NODES logtank nodes of BIN on loopback (an
# embedded server when NODES is 0), sends LINES lines through the first with
# `logtank bench`, and prints lines/s, the CPU seconds of each process (the
# PostgreSQL server with its backends), the WAL bytes written and the bucket.
# Everything lives in $W (default /tmp/cluster-bench) and is removed first.
set -u
BIN=$1; NODES=$2; LINES=$3; SENDERS=${4:-2}
W=${W:-/tmp/cluster-bench}; rm -rf $W; mkdir -p $W/s3/seg; chmod 777 $W
. "$(dirname "$0")/pg.sh"
PGPORT=55439
cpu() { local t=0; for p in "$@"; do for q in $p $(pgrep -P $p); do t=$(awk -v t=$t '{print t+($14+$15)/100}' /proc/$q/stat 2>/dev/null || echo $t); done; done; echo $t; }
if [ "$NODES" -gt 0 ]; then
  pg_start $W/pg $PGPORT
  PGPID=$(head -1 $W/pg/data/postmaster.pid)
  psql -h 127.0.0.1 -p $PGPORT -U postgres -qc "CREATE DATABASE lt TEMPLATE template0 LOCALE 'C'"
  versitygw --access ak --secret sk --port 127.0.0.1:7079 posix $W/s3 >$W/s3.log 2>&1 &
  S3PID=$!
  sleep 1
  export LOGTANK_SEGMENTS_SECRET_KEY=sk
  PIDS=()
  for i in $(seq 1 $NODES); do
    $BIN serve --data $W/n$i --listen 127.0.0.1:810$i --catalog "postgres://postgres@127.0.0.1:$PGPORT/lt?sslmode=disable" \
      --segments-bucket seg --segments-endpoint 127.0.0.1:7079 --segments-access-key ak --segments-path-style --segments-insecure \
      >$W/n$i.log 2>&1 &
    PIDS+=($!)
    sleep 2
  done
  EP=http://127.0.0.1:8101; DATA=$W/n1
else
  $BIN serve --data $W/e --listen 127.0.0.1:8100 >$W/e.log 2>&1 &
  PIDS=($!); PGPID=; S3PID=
  EP=http://127.0.0.1:8100; DATA=$W/e
  sleep 2
fi
$BIN groups create b --ttl 7 --data $DATA >/dev/null && $BIN streams create --group b s --data $DATA >/dev/null
sleep 1
W0=""; [ -n "$PGPID" ] && W0=$(psql -h 127.0.0.1 -p $PGPORT -U postgres -Atc "select pg_current_wal_lsn()")
C0=(); for p in "${PIDS[@]}"; do C0+=($(cpu $p)); done
PG0=0; [ -n "$PGPID" ] && PG0=$(cpu $PGPID); S30=0; [ -n "$S3PID" ] && S30=$(cpu $S3PID)
$BIN bench --data $DATA --endpoint $EP --group b --stream s --lines $LINES --senders $SENDERS --queries=false 2>&1 | grep -i "lines/s\|lines in"
sleep ${SETTLE:-3}
for i in "${!PIDS[@]}"; do echo "node$((i+1)) cpu $(awk -v a=$(cpu ${PIDS[$i]}) -v b=${C0[$i]} 'BEGIN{printf "%.2f", a-b}') s"; done
if [ -n "$PGPID" ]; then
  echo "postgres cpu $(awk -v a=$(cpu $PGPID) -v b=$PG0 'BEGIN{printf "%.2f", a-b}') s"
  echo "s3 cpu $(awk -v a=$(cpu $S3PID) -v b=$S30 'BEGIN{printf "%.2f", a-b}') s"
  W1=$(psql -h 127.0.0.1 -p $PGPORT -U postgres -Atc "select pg_current_wal_lsn()")
  echo "wal bytes $(psql -h 127.0.0.1 -p $PGPORT -U postgres -Atc "select pg_wal_lsn_diff('$W1','$W0')")"
  psql -h 127.0.0.1 -p $PGPORT -U postgres -d lt -Atc "select 'heads', stream_id, head_seq, indexed_seq from ingest_heads" 2>&1 | head -3
  psql -h 127.0.0.1 -p $PGPORT -U postgres -d lt -Atc "select 'segments', count(*), sum(bytes) from log_segments"
  du -sb $W/s3/seg | awk '{print "bucket bytes", $1}'
fi
for i in "${!PIDS[@]}"; do du -sb $W/n$((i+1)) 2>/dev/null | awk -v n=$((i+1)) '{print "node" n " folder bytes", $1}'; done
kill "${PIDS[@]}" 2>/dev/null; sleep 1
[ -n "$S3PID" ] && kill $S3PID
[ -n "$PGPID" ] && pg_stop $W/pg
wait 2>/dev/null
