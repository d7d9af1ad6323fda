package logging

import (
	"context"
	"fmt"
	"log/slog"
)

// Printf carries a library's printf-style lines (go-redis's redis.SetLogger)
// into l as JSON, tagged with the library's name, instead of plain text
// between the JSON lines.
type Printf struct {
	L         *slog.Logger
	Component string
}

// Printf logs one line at warn: libraries print only what went wrong.
func (p Printf) Printf(ctx context.Context, format string, v ...any) {
	p.L.WarnContext(ctx, fmt.Sprintf(format, v...), "component", p.Component)
}
