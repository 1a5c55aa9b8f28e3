package main

import (
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/factorgate/factorgate/host/auth"
)

// apikeysCommand manages operator API keys: what an application (a security
// scanner) sends as x-api-key on the documented endpoints that require one.
func (c *cli) apikeysCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "apikeys", Short: "Manage operator API keys for applications calling the documented endpoints"}
	cmd.AddCommand(&cobra.Command{
		Use:   "create NAME",
		Short: "Create an API key called NAME and print only the key (shown once)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withApp(cmd.Context(), func(a *app) error {
				secret, _, err := auth.NewAPIKeys(a.store, nil, nil).Create(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				fmt.Fprintln(c.stdout, secret)
				return nil
			})
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List the API keys (never the keys themselves)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withApp(cmd.Context(), func(a *app) error {
				keys, err := auth.NewAPIKeys(a.store, nil, nil).List(cmd.Context())
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tNAME\tSTATUS\tCREATED\tLAST USED")
				for _, k := range keys {
					status := "live"
					if k.Revoked() {
						status = "revoked " + apikeyTime(k.RevokedAt)
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, status, apikeyTime(k.CreatedAt), apikeyTime(k.LastUsedAt))
				}
				return w.Flush()
			})
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "revoke ID|NAME",
		Short: "Revoke a live API key, by id or name; requests with it are refused from then on",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withApp(cmd.Context(), func(a *app) error {
				k, err := auth.NewAPIKeys(a.store, nil, nil).Revoke(cmd.Context(), args[0])
				if errors.Is(err, auth.ErrNoAPIKey) {
					return fmt.Errorf("no live API key with id or name %q", args[0])
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(c.stdout, "revoked API key %s (%s)\n", k.ID, k.Name)
				return nil
			})
		},
	})
	return cmd
}

// apikeyTime formats a time for a listing; the zero time is "never".
func apikeyTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}
