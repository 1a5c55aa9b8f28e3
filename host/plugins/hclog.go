package plugins

import (
	"context"
	"io"
	"log"
	"log/slog"
	"path/filepath"

	"github.com/hashicorp/go-hclog"
)

// hclogAdapter sends go-plugin's own hclog output to the host's slog logger,
// with a "plugin" field naming the source. The plugin's stderr is logged by
// stderrLogger instead: go-plugin logs it through a sub-logger named after the
// binary, which this adapter silences so no line is logged twice.
type hclogAdapter struct {
	logger *slog.Logger
	name   string
	args   []any
	// stderrName is the sub-logger name go-plugin uses for the plugin's stderr.
	stderrName string
	silent     bool
}

var _ hclog.Logger = (*hclogAdapter)(nil)

// newHCLogAdapter adapts logger for the plugin called name launched from path.
func newHCLogAdapter(logger *slog.Logger, name, path string) *hclogAdapter {
	return &hclogAdapter{logger: logger, name: name, stderrName: filepath.Base(path)}
}

func toSlogLevel(l hclog.Level) slog.Level {
	switch l {
	case hclog.Trace:
		return slog.LevelDebug - 4
	case hclog.Debug:
		return slog.LevelDebug
	case hclog.Warn:
		return slog.LevelWarn
	case hclog.Error:
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

func (a *hclogAdapter) Log(level hclog.Level, msg string, args ...any) {
	if a.silent {
		return
	}
	lvl := toSlogLevel(level)
	ctx := context.Background()
	if !a.logger.Enabled(ctx, lvl) {
		return
	}
	all := make([]any, 0, len(a.args)+len(args)+2)
	if a.name != "" {
		all = append(all, "plugin", a.name)
	}
	all = append(all, a.args...)
	for i, arg := range args {
		// go-plugin names the plugin's path "plugin"; the name has that key.
		if key, ok := arg.(string); ok && i%2 == 0 && key == "plugin" {
			arg = "path"
		}
		all = append(all, arg)
	}
	a.logger.Log(ctx, lvl, msg, all...)
}

func (a *hclogAdapter) Trace(msg string, args ...any) { a.Log(hclog.Trace, msg, args...) }
func (a *hclogAdapter) Debug(msg string, args ...any) { a.Log(hclog.Debug, msg, args...) }
func (a *hclogAdapter) Info(msg string, args ...any)  { a.Log(hclog.Info, msg, args...) }
func (a *hclogAdapter) Warn(msg string, args ...any)  { a.Log(hclog.Warn, msg, args...) }
func (a *hclogAdapter) Error(msg string, args ...any) { a.Log(hclog.Error, msg, args...) }

func (a *hclogAdapter) enabled(l hclog.Level) bool {
	return !a.silent && a.logger.Enabled(context.Background(), toSlogLevel(l))
}

func (a *hclogAdapter) IsTrace() bool { return a.enabled(hclog.Trace) }
func (a *hclogAdapter) IsDebug() bool { return a.enabled(hclog.Debug) }
func (a *hclogAdapter) IsInfo() bool  { return a.enabled(hclog.Info) }
func (a *hclogAdapter) IsWarn() bool  { return a.enabled(hclog.Warn) }
func (a *hclogAdapter) IsError() bool { return a.enabled(hclog.Error) }

func (a *hclogAdapter) ImpliedArgs() []any { return a.args }

func (a *hclogAdapter) With(args ...any) hclog.Logger {
	c := *a
	c.args = append(append([]any{}, a.args...), args...)
	return &c
}

func (a *hclogAdapter) Name() string { return a.name }

func (a *hclogAdapter) Named(name string) hclog.Logger {
	c := *a
	// GetLevel reports Off for the stderr sub-logger, so go-plugin neither
	// parses nor logs the plugin's stderr lines (stderrLogger does).
	c.silent = a.silent || name == a.stderrName
	if a.name != "" {
		name = a.name + "." + name
	}
	c.name = name
	return &c
}

func (a *hclogAdapter) ResetNamed(name string) hclog.Logger {
	c := *a
	c.name = name
	return &c
}

// SetLevel is a no-op: the host's slog handler decides what is logged.
func (a *hclogAdapter) SetLevel(hclog.Level) {}

func (a *hclogAdapter) GetLevel() hclog.Level {
	for _, l := range []hclog.Level{hclog.Trace, hclog.Debug, hclog.Info, hclog.Warn, hclog.Error} {
		if a.enabled(l) {
			return l
		}
	}
	return hclog.Off
}

func (a *hclogAdapter) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(a.StandardWriter(opts), "", 0)
}

func (a *hclogAdapter) StandardWriter(*hclog.StandardLoggerOptions) io.Writer {
	return slogWriter{a}
}

type slogWriter struct{ a *hclogAdapter }

func (w slogWriter) Write(p []byte) (int, error) {
	msg := string(p)
	for len(msg) > 0 && (msg[len(msg)-1] == '\n' || msg[len(msg)-1] == '\r') {
		msg = msg[:len(msg)-1]
	}
	w.a.Info(msg)
	return len(p), nil
}
