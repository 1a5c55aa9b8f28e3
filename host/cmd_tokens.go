package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func (c *cli) tokensListCommand() *cobra.Command {
	var user string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List personal API tokens, of one user or of all (never the tokens themselves)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withApp(cmd.Context(), func(a *app) error {
				tokens, err := a.operator().Tokens(cmd.Context(), user)
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tUSER\tNAME\tADMIN\tCREATED\tEXPIRES\tLAST USED")
				for _, t := range tokens {
					fmt.Fprintf(w, "%s\t%s\t%s\t%v\t%s\t%s\t%s\n", t.ID, t.UserID, orDash(t.Name), t.Admin,
						apikeyTime(t.CreatedAt), apikeyTime(t.ExpiresAt), apikeyTime(t.LastUsedAt))
				}
				return w.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "only this user's tokens (id or name)")
	return cmd
}

func (c *cli) tokensRevokeCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a personal API token by id; once it returns, every host refuses it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withApp(cmd.Context(), func(a *app) error {
				t, err := a.operator().RevokeToken(cmd.Context(), c.actor(), args[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(c.stdout, "revoked token %s of user %s\n", t.ID, t.UserID)
				return nil
			})
		},
	}
}
