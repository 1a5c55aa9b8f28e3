package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/operator"
	"github.com/factorgate/factorgate/host/signin"
	"github.com/factorgate/factorgate/host/store"
)

// operator returns the operator service over the app's parts.
func (a *app) operator() *operator.Service {
	return operator.New(operator.Deps{
		Store: a.store, Factors: a.mfa, HashPassword: auth.HashPassword,
		CounterKeys: signin.PasswordCounterKeys,
	})
}

// actor names the person at the command line in the audit log, by their
// account on this machine.
func (c *cli) actor() operator.Actor {
	name, _ := c.env("USER")
	if name == "" {
		name = "unknown"
	}
	return operator.Actor{ID: "cli:" + name, Via: "cli"}
}

// usersAdminCommands are the operator's user commands beside create.
func (c *cli) usersAdminCommands() []*cobra.Command {
	return []*cobra.Command{
		c.usersListCommand(), c.usersShowCommand(),
		c.userChange("disable", "Disable USER (id or name): no sign-in at any door, sessions and OAuth tokens end, API tokens refused", (*operator.Service).Disable),
		c.userChange("enable", "Enable a disabled USER (id or name)", (*operator.Service).Enable),
		c.usersDeleteCommand(), c.usersSetPasswordCommand(), c.usersUnlockCommand(), c.usersRemoveFactorCommand(),
	}
}

func (c *cli) usersListCommand() *cobra.Command {
	var q store.UserQuery
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List users by name, a page at a time (--after the last name shown)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if q.Limit < 1 || q.Limit > 1000 {
				return errors.New("--limit must be between 1 and 1000")
			}
			return c.withApp(cmd.Context(), func(a *app) error {
				users, err := a.operator().Users(cmd.Context(), q)
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tNAME\tEMAIL\tADMIN\tSTATUS\tCREATED")
				for _, u := range users {
					fmt.Fprintf(w, "%s\t%s\t%s\t%v\t%s\t%s\n", u.ID, u.Name, orDash(u.Email), u.Admin, userStatus(u), apikeyTime(u.CreatedAt))
				}
				if err := w.Flush(); err != nil {
					return err
				}
				if len(users) == q.Limit {
					fmt.Fprintf(c.stderr, "more users: --after %s\n", users[len(users)-1].Name)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&q.Search, "search", "", "only users whose name or email contains this text")
	cmd.Flags().StringVar(&q.After, "after", "", "start after this user name (the last of the previous page)")
	cmd.Flags().IntVar(&q.Limit, "limit", 100, "users per page")
	return cmd
}

func (c *cli) usersShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "show USER",
		Short: "Show a user (id or name), their factors and API tokens",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withApp(cmd.Context(), func(a *app) error {
				op := a.operator()
				u, err := op.User(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				creds, err := op.Credentials(cmd.Context(), u.ID)
				if err != nil {
					return err
				}
				tokens, err := op.Tokens(cmd.Context(), u.ID)
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintf(w, "id:\t%s\nname:\t%s\nemail:\t%s\nadmin:\t%v\nstatus:\t%s\npassword:\t%v\ncreated:\t%s\n",
					u.ID, u.Name, orDash(u.Email), u.Admin, userStatus(u), u.PasswordHash != "", apikeyTime(u.CreatedAt))
				for _, cr := range creds {
					fmt.Fprintf(w, "factor:\t%s %s (%s, last used %s)\n", cr.ID, cr.Factor, cr.Status, apikeyTime(cr.LastUsedAt))
				}
				for _, t := range tokens {
					fmt.Fprintf(w, "token:\t%s %s (admin %v, expires %s)\n", t.ID, orDash(t.Name), t.Admin, apikeyTime(t.ExpiresAt))
				}
				return w.Flush()
			})
		},
	}
}

// userChange is a command that changes one user and says so.
func (c *cli) userChange(verb, short string, change func(*operator.Service, context.Context, operator.Actor, string) (store.User, error)) *cobra.Command {
	return &cobra.Command{
		Use:   verb + " USER",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withApp(cmd.Context(), func(a *app) error {
				u, err := change(a.operator(), cmd.Context(), c.actor(), args[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(c.stdout, "%sd user %s (%s)\n", strings.TrimSuffix(verb, "e"), u.Name, u.ID)
				return nil
			})
		},
	}
}

func (c *cli) usersDeleteCommand() *cobra.Command {
	var yes bool
	cmd := c.userChange("delete", "Delete USER (id or name) with their factors, sessions and tokens; the audit log keeps their events", (*operator.Service).Delete)
	run := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if !yes {
			return errors.New("deleting a user cannot be undone: add --yes")
		}
		return run(cmd, args)
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "confirm the deletion")
	return cmd
}

func (c *cli) usersSetPasswordCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "set-password USER",
		Short: "Set the password of USER (id or name) from the first line of standard input",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			password, err := readSecretLine(c.stdin)
			if err != nil {
				return err
			}
			return c.withApp(cmd.Context(), func(a *app) error {
				u, err := a.operator().SetPassword(cmd.Context(), c.actor(), args[0], password)
				if err != nil {
					return err
				}
				fmt.Fprintf(c.stdout, "set the password of user %s (%s)\n", u.Name, u.ID)
				return nil
			})
		},
	}
}

func (c *cli) usersUnlockCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "unlock USER",
		Short: "Clear the failed attempts and lift the locks of USER (id or name), second factor and password",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withApp(cmd.Context(), func(a *app) error {
				u, n, err := a.operator().Unlock(cmd.Context(), c.actor(), args[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(c.stdout, "unlocked user %s (%s): %d failure counters cleared\n", u.Name, u.ID, n)
				return nil
			})
		},
	}
}

func (c *cli) usersRemoveFactorCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "remove-factor USER CREDENTIAL",
		Short: "Remove one factor (credential id, from users show) of USER (id or name)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withApp(cmd.Context(), func(a *app) error {
				removed, err := a.operator().RemoveFactor(cmd.Context(), c.actor(), args[0], args[1])
				if err != nil {
					return err
				}
				fmt.Fprintf(c.stdout, "removed factor %s (%s)\n", removed.CredentialID, removed.Factor)
				return nil
			})
		},
	}
}

// userStatus says whether a user is enabled.
func userStatus(u store.User) string {
	if u.Disabled() {
		return "disabled " + apikeyTime(u.DisabledAt)
	}
	return "enabled"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
