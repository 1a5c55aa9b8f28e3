package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/factorgate/factorgate/host/operator"
	"github.com/factorgate/factorgate/host/store"
)

// auditCommand reads the audit log.
func (c *cli) auditCommand() *cobra.Command {
	var (
		q          store.AuditQuery
		since      string
		jsonOutput bool
	)
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Read the audit log, newest first",
		Long: `Read the audit log, newest first.

--since takes a time (2026-01-02 or 2026-01-02T15:04:05Z) or a duration back
from now (24h). --json writes one JSON object per line.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if q.Limit < 1 || q.Limit > 10000 {
				return errors.New("--limit must be between 1 and 10000")
			}
			var err error
			if q.Since, err = parseSince(since, time.Now()); err != nil {
				return err
			}
			return c.withApp(cmd.Context(), func(a *app) error {
				events, err := a.operator().Audit(cmd.Context(), q)
				if err != nil {
					return err
				}
				if jsonOutput {
					enc := json.NewEncoder(c.stdout)
					for _, e := range events {
						if err := enc.Encode(operator.AuditJSON(e)); err != nil {
							return err
						}
					}
					return nil
				}
				return writeAuditTable(c, events)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&q.UserID, "user", "", "only events of this user (id or name)")
	f.StringVar(&since, "since", "", "only events at or after this time or this long ago")
	f.StringVar(&q.Action, "action", "", "only events of this action (verify, login, user.disable, ...)")
	f.IntVar(&q.Limit, "limit", 100, "at most this many events")
	f.BoolVar(&jsonOutput, "json", false, "one JSON object per line")
	return cmd
}

// parseSince reads --since: a date, an RFC 3339 time or a duration back
// from now; empty is no bound.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--since %q: use a time (2026-01-02, 2026-01-02T15:04:05Z) or a duration (24h)", s)
}

func writeAuditTable(c *cli, events []store.AuditEvent) error {
	w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tTIME\tUSER\tACTOR\tACTION\tFACTOR\tRESULT\tFROM\tDETAIL")
	for _, e := range events {
		var detail []string
		for _, k := range slices.Sorted(maps.Keys(e.Detail)) {
			if e.Detail[k] != "" {
				detail = append(detail, k+"="+e.Detail[k])
			}
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Time.UTC().Format(time.RFC3339), orDash(e.UserID), orDash(e.Actor),
			e.Action, orDash(e.Factor), orDash(e.Result), orDash(e.RemoteAddr), orDash(strings.Join(detail, " ")))
	}
	return w.Flush()
}
