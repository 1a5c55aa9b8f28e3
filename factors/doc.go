// Package factors holds the built-in factors, one package each, with a plugin
// main in each cmd/factorgate-factor-<name>. Its test checks what those
// plugin binaries link.
package factors
