# pg.sh, sourced by the cluster benchmarks: a throwaway PostgreSQL server of
# Debian's package (PGBIN overrides where its programs are), run as the
# postgres user since PostgreSQL refuses to run as root.
PGB=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin | tail -1)}

# pg_start DIR PORT: a new cluster in DIR/data (collation C, trust on
# loopback), started on 127.0.0.1:PORT, its log in DIR/log.
pg_start() {
  install -d -o postgres "$1"
  su postgres -s /bin/sh -c "$PGB/initdb -D $1/data -U postgres --locale C -A trust >/dev/null"
  su postgres -s /bin/sh -c "$PGB/pg_ctl -D $1/data -o '-p $2 -k /tmp -c listen_addresses=127.0.0.1' -l $1/log -w start >/dev/null"
}

# pg_stop DIR: stops the server of pg_start DIR.
pg_stop() {
  su postgres -s /bin/sh -c "$PGB/pg_ctl -D $1/data -m fast stop >/dev/null"
}
