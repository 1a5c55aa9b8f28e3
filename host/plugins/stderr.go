package plugins

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sort"
	"strings"
	"sync"
)

// maxStderrLine bounds one buffered line of plugin output; a longer line is
// logged in pieces rather than held in memory.
const maxStderrLine = 64 << 10

// stderrLogger turns a plugin's stderr into host log records with the
// plugin's name. go-plugin's own parser accepts hclog JSON only with one
// timestamp layout and logs other lines at debug; this one takes an hclog
// JSON line (an object with "@message") at its own level whatever its
// timestamp looks like, and any other line at info.
type stderrLogger struct {
	logger *slog.Logger

	mu  sync.Mutex
	buf []byte
}

func newStderrLogger(logger *slog.Logger, plugin string) *stderrLogger {
	return &stderrLogger{logger: logger.With("plugin", plugin)}
}

// Write buffers p and logs each complete line. go-plugin writes a line and
// its newline in separate calls.
func (s *stderrLogger) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(s.buf, p...)
	for {
		i := bytes.IndexByte(s.buf, '\n')
		if i < 0 {
			break
		}
		s.logLine(s.buf[:i])
		s.buf = s.buf[i+1:]
	}
	if len(s.buf) > maxStderrLine {
		s.logLine(s.buf)
		s.buf = s.buf[:0]
	}
	if len(s.buf) == 0 {
		s.buf = nil // do not keep a large array alive between lines
	}
	return len(p), nil
}

func (s *stderrLogger) logLine(line []byte) {
	line = bytes.TrimRight(line, "\r")
	if len(bytes.TrimSpace(line)) == 0 {
		return
	}
	level, msg, attrs, ok := parseHCLogLine(line)
	if !ok {
		s.logger.Info(string(line))
		return
	}
	s.logger.LogAttrs(context.Background(), level, msg, attrs...)
}

// isHCLogMeta reports the keys of an hclog JSON line that are not fields.
func isHCLogMeta(key string) bool {
	switch key {
	case "@message", "@level", "@timestamp", "@caller":
		return true
	}
	return false
}

// parseHCLogLine reads an hclog JSON line: "@message", "@level", and the
// line's fields in key order. The timestamp is dropped: the host stamps the
// record itself.
func parseHCLogLine(line []byte) (slog.Level, string, []slog.Attr, bool) {
	if len(line) == 0 || line[0] != '{' {
		return 0, "", nil, false
	}
	var raw map[string]any
	if err := json.Unmarshal(line, &raw); err != nil {
		return 0, "", nil, false
	}
	msg, ok := raw["@message"].(string)
	if !ok {
		return 0, "", nil, false
	}
	level, _ := raw["@level"].(string)
	keys := make([]string, 0, len(raw))
	for k := range raw {
		if !isHCLogMeta(k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	attrs := make([]slog.Attr, 0, len(keys))
	for _, k := range keys {
		attrs = append(attrs, slog.Any(strings.TrimPrefix(k, "@"), raw[k]))
	}
	return hclogLevel(level), msg, attrs, true
}

// hclogLevel maps an hclog level name; an unknown one is info.
func hclogLevel(name string) slog.Level {
	switch strings.ToLower(name) {
	case "trace":
		return slog.LevelDebug - 4
	case "debug":
		return slog.LevelDebug
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}
