// Package pgtest gives each test its own migrated PostgreSQL database and drops
// it when the test ends. The server is found through WABSP_TEST_DATABASE_URL
// (default: the local trust-auth server).
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/pg"
)

// BaseURL is the server tests create their databases on.
func BaseURL() string {
	if u := os.Getenv("WABSP_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// URLFor returns BaseURL pointed at database name.
func URLFor(name string) string {
	base := BaseURL()
	i := strings.LastIndex(base, "/")
	rest := ""
	if q := strings.Index(base[i:], "?"); q >= 0 {
		rest = base[i+q:]
	}
	return base[:i+1] + name + rest
}

// New creates a fresh database, migrates it and returns a pool to it. The
// database is dropped in t.Cleanup.
func New(tb testing.TB) *pg.DB {
	tb.Helper()
	db, _ := NewWithURL(tb)
	return db
}

// NewWithURL is New that also returns the database's URL, for tests that start
// separate processes against it.
func NewWithURL(tb testing.TB) (*pg.DB, string) {
	tb.Helper()
	ctx := context.Background()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "wabsp_test_" + hex.EncodeToString(b)

	admin, err := pgx.Connect(ctx, BaseURL())
	if err != nil {
		tb.Fatalf("pgtest: connect to %s: %v", BaseURL(), err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("pgtest: create database: %v", err)
	}
	url := URLFor(name)
	db, err := pg.Open(ctx, url, 16)
	if err != nil {
		tb.Fatalf("pgtest: open: %v", err)
	}
	tb.Cleanup(func() {
		db.Close()
		c, err := pgx.Connect(context.Background(), BaseURL())
		if err != nil {
			tb.Logf("pgtest: cleanup connect: %v", err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)); err != nil {
			tb.Logf("pgtest: drop %s: %v", name, err)
		}
	})
	if err := db.Migrate(ctx, nil); err != nil {
		tb.Fatalf("pgtest: migrate: %v", err)
	}
	return db, url
}

// OpenReadOnly opens a pool to url whose sessions refuse writes, as a hot
// standby would: a stand-in for a read replica. It is closed in t.Cleanup.
func OpenReadOnly(tb testing.TB, url string) *pg.DB {
	tb.Helper()
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	db, err := pg.Open(context.Background(), url+sep+"default_transaction_read_only=on", 4)
	if err != nil {
		tb.Fatalf("pgtest: open read-only: %v", err)
	}
	tb.Cleanup(db.Close)
	return db
}
