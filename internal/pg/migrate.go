package pg

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock keeps two processes (two API replicas starting together) from
// migrating at once.
const migrationLock = 72_019_331

func provider(db *DB) (*goose.Provider, func() error, error) {
	sqldb := stdlib.OpenDBFromPool(db.Pool)
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		sqldb.Close()
		return nil, nil, err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, sqldb, sub)
	if err != nil {
		sqldb.Close()
		return nil, nil, fmt.Errorf("pg: migrations: %w", err)
	}
	return p, sqldb.Close, nil
}

// Migrate applies every pending migration, each in its own transaction,
// holding an advisory lock for the whole run.
func (db *DB) Migrate(ctx context.Context, log *slog.Logger) error {
	conn, err := db.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("pg: migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return fmt.Errorf("pg: migrate lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLock) //nolint:errcheck // released with the session anyway

	p, closeDB, err := provider(db)
	if err != nil {
		return err
	}
	defer closeDB()
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("pg: migrate: %w", err)
	}
	for _, r := range results {
		if log != nil {
			log.Info("migration applied", "schema_version", r.Source.Version, "file", r.Source.Path, "took", r.Duration.String())
		}
	}
	return nil
}

// MigrationStatus reports the applied and the newest embedded versions.
func (db *DB) MigrationStatus(ctx context.Context) (current, latest int64, err error) {
	p, closeDB, err := provider(db)
	if err != nil {
		return 0, 0, err
	}
	defer closeDB()
	current, err = p.GetDBVersion(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("pg: migration status: %w", err)
	}
	sources := p.ListSources()
	if len(sources) > 0 {
		latest = sources[len(sources)-1].Version
	}
	return current, latest, nil
}
