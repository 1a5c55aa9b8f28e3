// Package chaos is the host's fault-injection suite: it drives the real
// host and plugin binaries over HTTP under a steady verification load while
// it kills plugin processes and cuts the database connection, and prints
// requests, failures, the failure rate and recovery times. Its tests run
// only when FACTORGATE_CHAOS_SECONDS is set (`make chaos`).
package chaos
