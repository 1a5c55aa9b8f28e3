// Package benche2e measures the host from outside, as `make bench-e2e` does:
// it seeds enrolled users quickly through the store, serves a floor program
// (HTTP, the same TOTP check and one durable write per request) to compare
// against, and drives either with a load of fresh valid codes from
// concurrent clients, reporting verifications per second, latency
// percentiles and memory.
package benche2e
