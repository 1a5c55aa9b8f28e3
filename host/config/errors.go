package config

import (
	"strconv"
	"strings"
)

// Error is one configuration problem. [Load] joins several with
// [errors.Join]; use [errors.As] to get at the first, or unwrap the joined
// error's Unwrap() []error to see them all.
type Error struct {
	// File is the configuration file, empty when the value did not come from
	// one.
	File string
	// Line is the 1-based line in File, 0 when unknown.
	Line int
	// Env is the environment variable that supplied the value, if any.
	Env string
	// Key is the key path, such as "lockout.max_failures" or
	// "http.trusted_proxies[2]"; empty for problems with the file as a whole.
	Key string
	// Message says what is wrong. It never contains a secret.
	Message string

	// keyInMessage is set when Message already names Key.
	keyInMessage bool
}

// Error formats the problem as "config FILE: line N: KEY: MESSAGE", or as
// "ENV: MESSAGE" for a value from the environment.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Env != "" {
		b.WriteString(e.Env)
	} else {
		b.WriteString("config")
		if e.File != "" {
			b.WriteString(" ")
			b.WriteString(e.File)
		}
		if e.Line > 0 {
			b.WriteString(": line ")
			b.WriteString(strconv.Itoa(e.Line))
		}
		if e.Key != "" && !e.keyInMessage {
			b.WriteString(": ")
			b.WriteString(e.Key)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Message)
	return b.String()
}

// origin is where a value came from: a line of the file or an environment
// variable.
type origin struct {
	line int
	env  string
}

// origins tracks, per key path, where its value came from, and which paths
// already have a reported problem so that validation does not report them a
// second time.
type origins struct {
	file  string
	byKey map[string]origin
	bad   map[string]bool
}

func newOrigins(file string) *origins {
	return &origins{file: file, byKey: map[string]origin{}, bad: map[string]bool{}}
}

// setLine records the line of key unless one is known already (the first
// occurrence wins, as with merged mappings).
func (o *origins) setLine(key string, line int) {
	if _, ok := o.byKey[key]; !ok {
		o.byKey[key] = origin{line: line}
	}
}

// setEnv records that key was overridden by the environment variable name.
func (o *origins) setEnv(key, name string) {
	o.byKey[key] = origin{env: name}
	delete(o.bad, key)
}

// lookup returns the origin of key, falling back to the nearest enclosing
// key with a known line ("plugins.totp" for a missing "plugins.totp.sha256").
func (o *origins) lookup(key string) origin {
	if or, ok := o.byKey[key]; ok {
		return or
	}
	for k := key; ; {
		i := strings.LastIndexAny(k, ".[")
		if i <= 0 {
			return origin{}
		}
		k = k[:i]
		if or, ok := o.byKey[k]; ok && or.env == "" {
			return or
		}
	}
}

// errorAt builds the problem for key from its origin.
func (o *origins) errorAt(key, msg string) *Error {
	or := o.lookup(key)
	e := &Error{Key: key, Message: msg, Env: or.env}
	if or.env == "" && o.file != "" {
		e.File, e.Line = o.file, or.line
	}
	return e
}
