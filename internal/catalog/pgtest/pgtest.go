// Package pgtest gives tests a real PostgreSQL: one throwaway server per
// test binary, started on first use with Debian's initdb and pg_ctl in a
// temporary folder and listening on a loopback port, and a fresh database
// for each test that asks.
//
// PostgreSQL refuses to run as root, so as root the server runs as the
// "postgres" system user (which Debian's package creates) through runuser.
// When PostgreSQL is missing, tests skip with the reason, unless the CI
// environment variable is set: then they fail, so that CI never passes by
// testing nothing.
//
// It is for tests only: the server trusts every loopback connection and
// does not sync its files or run autovacuum.
package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the PostgreSQL driver, registered as "pgx"
)

// Run runs the package's tests and then stops the server, if a test
// started one. Call it from TestMain: os.Exit(pgtest.Run(m)).
func Run(m *testing.M) int {
	code := m.Run()
	if shared.srv != nil {
		shared.srv.stop()
	}
	return code
}

// URL returns the URL of a new, empty database on the shared server
// (starting it on first use), or ends the test as the package comment
// says when PostgreSQL is not available.
func URL(t testing.TB) string {
	t.Helper()
	shared.once.Do(func() { shared.srv, shared.err = start() })
	if shared.err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("PostgreSQL is required in CI: %v", shared.err)
		}
		t.Skipf("no PostgreSQL for this test (install Debian's postgresql package): %v", shared.err)
	}
	name := fmt.Sprintf("t%d", shared.databases.Add(1))
	db, err := sql.Open("pgx", shared.srv.url("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("creating database %s: %v", name, err)
	}
	return shared.srv.url(name)
}

var shared struct {
	once      sync.Once
	srv       *server
	err       error
	databases atomic.Int64
}

// server is a running PostgreSQL.
type server struct {
	bin  string // folder of initdb and pg_ctl
	dir  string // the temporary folder: data/, the socket and the log
	port int
	// runAs prefixes the server's commands: runuser to the postgres user
	// as root, nothing otherwise.
	runAs []string
}

func (s *server) url(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, database)
}

func start() (*server, error) {
	bin, err := binaries()
	if err != nil {
		return nil, err
	}
	s := &server{bin: bin}
	if os.Geteuid() == 0 {
		s.runAs = []string{"runuser", "-u", "postgres", "--"}
	}
	if s.dir, err = os.MkdirTemp("", "pgtest"); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(s.dir)
			return nil, fmt.Errorf("running as root needs the postgres user to run the server as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(s.dir, uid, gid); err != nil {
			os.RemoveAll(s.dir)
			return nil, err
		}
	}
	if s.port, err = freePort(); err != nil {
		os.RemoveAll(s.dir)
		return nil, err
	}
	data := filepath.Join(s.dir, "data")
	// Locale C: text sorts by bytes, as the catalog requires.
	if err := s.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "--locale=C", "-E", "UTF8", "--no-sync"); err != nil {
		os.RemoveAll(s.dir)
		return nil, err
	}
	// No autovacuum: the server's transactions are then the tests' own.
	// An automatic ANALYZE takes a transaction id, and one in flight at a
	// poll makes the catalog's read of changes read again rows that did
	// not move (correct, but not what a test of that read expects).
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c autovacuum=off", s.port, s.dir)
	if err := s.run("pg_ctl", "start", "-w", "-t", "60", "-D", data, "-l", filepath.Join(s.dir, "log"), "-o", opts); err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "log"))
		os.RemoveAll(s.dir)
		return nil, fmt.Errorf("%w\nserver log:\n%s", err, log)
	}
	return s, nil
}

func (s *server) stop() {
	s.run("pg_ctl", "stop", "-m", "immediate", "-D", filepath.Join(s.dir, "data"))
	os.RemoveAll(s.dir)
}

func (s *server) run(name string, args ...string) error {
	argv := append(slices.Clone(s.runAs), append([]string{filepath.Join(s.bin, name)}, args...)...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	// The postgres user may not enter the test's working folder.
	cmd.Dir = s.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", name, err, out)
	}
	return nil
}

// binaries finds the folder of initdb and pg_ctl: Debian keeps them in
// /usr/lib/postgresql/VERSION/bin (the newest is taken), other systems on
// the PATH.
func binaries() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return vb - va
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	p, err := exec.LookPath("pg_ctl")
	if err != nil {
		return "", fmt.Errorf("pg_ctl is neither in /usr/lib/postgresql/*/bin nor on the PATH")
	}
	return filepath.Dir(p), nil
}

// freePort asks the kernel for a loopback port nobody listens on.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
