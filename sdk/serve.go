package sdk

import (
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/factorgate/factorgate/plugin"
)

// Serve runs f as a factor plugin and returns when the host ends the process.
// Call it from main; it is the whole of a plugin's main function:
//
//	func main() { sdk.Serve(totp.New()) }
//
// The host launches the binary with a handshake cookie and mutual TLS; run by
// hand, the binary says it is a plugin and exits.
func Serve(f Factor) {
	tuneGC(os.LookupEnv)
	logger := NewLogger(slog.LevelInfo)
	d := f.Describe()
	logger.Info("serving factor", "factor", d.Name, "version", d.Version, "protocol", plugin.ProtocolVersion)
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig:  plugin.Handshake,
		VersionedPlugins: plugin.ServerPlugins(NewServer(f, logger)),
		GRPCServer:       plugin.NewGRPCServer,
		Logger: hclog.New(&hclog.LoggerOptions{
			Name:       d.Name,
			Output:     os.Stderr,
			JSONFormat: true,
			Level:      hclog.Info,
		}),
	})
}

// NewLogger returns a logger for factor code in a plugin process. Its lines
// reach the host's structured log with their level and fields. Never log a
// code, a secret or a full phone number.
func NewLogger(level slog.Level) *slog.Logger {
	return slog.New(NewLogHandler(os.Stderr, level))
}

// NewLogHandler returns a slog handler that writes the JSON lines the host's
// plugin runtime parses: "@timestamp" (in the one layout it accepts),
// "@level" and "@message" keys, fields as they are.
// hclogTimeLayout is the only timestamp layout go-plugin's host side parses;
// a line with any other is logged as opaque text.
const hclogTimeLayout = "2006-01-02T15:04:05.000000Z07:00"

func NewLogHandler(w io.Writer, level slog.Level) slog.Handler {
	return slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.TimeKey:
				return slog.String("@timestamp", a.Value.Time().UTC().Format(hclogTimeLayout))
			case slog.LevelKey:
				return slog.String("@level", strings.ToLower(a.Value.String()))
			case slog.MessageKey:
				return slog.String("@message", a.Value.String())
			}
			return a
		},
	})
}
