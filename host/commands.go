package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/oauth"
	"github.com/factorgate/factorgate/host/plugins"
	"github.com/factorgate/factorgate/host/seal"
	"github.com/factorgate/factorgate/host/store"
)

// withApp loads the configuration and the parts an administration command
// needs (no plugins), runs fn and closes them.
func (c *cli) withApp(ctx context.Context, fn func(a *app) error) error {
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	a, err := newApp(ctx, cfg, c.newLogger(cfg), appOptions{})
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a)
}

func (c *cli) migrateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Create or upgrade the database schema",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := c.loadConfig()
			if err != nil {
				return err
			}
			// Opening the store applies the embedded migrations.
			st, err := store.Open(cmd.Context(), cfg.DatabaseURL(), c.newLogger(cfg))
			if err != nil {
				return err
			}
			defer st.Close()
			fmt.Fprintf(c.stdout, "database schema is current (%s)\n", st.Dialect())
			return nil
		},
	}
}

var userName = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)

func (c *cli) usersCommand() *cobra.Command {
	users := &cobra.Command{Use: "users", Short: "Manage users"}
	var passwordStdin, admin bool
	var email string
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a user and print its id",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if !userName.MatchString(name) {
				return fmt.Errorf("user name %q: use 1 to 64 letters, digits and . _ @ -", name)
			}
			var hash string
			if passwordStdin {
				password, err := readSecretLine(c.stdin)
				if err != nil {
					return err
				}
				if hash, err = auth.HashPassword(password); err != nil {
					return err
				}
			}
			if email != "" && (!strings.Contains(email, "@") || len(email) > 254) {
				return fmt.Errorf("--email %q is not an email address", email)
			}
			return c.withApp(cmd.Context(), func(a *app) error {
				org, err := a.store.EnsureDefaultOrg(cmd.Context())
				if err != nil {
					return err
				}
				u, err := a.store.CreateUser(cmd.Context(), store.User{ID: uuid.NewString(), OrgID: org.ID, Name: name, PasswordHash: hash, Email: email, Admin: admin})
				if errors.Is(err, store.ErrAlreadyExists) {
					return fmt.Errorf("a user named %q exists already", name)
				}
				if err != nil {
					return err
				}
				fmt.Fprintln(c.stdout, u.ID)
				return nil
			})
		},
	}
	create.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the user's password from the first line of standard input")
	create.Flags().StringVar(&email, "email", "", "email address")
	create.Flags().BoolVar(&admin, "admin", false, "the user administers other users")
	users.AddCommand(create)
	users.AddCommand(c.usersAdminCommands()...)
	return users
}

// readSecretLine reads one line, without its line ending.
func readSecretLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("read password: standard input is empty")
	}
	return line, nil
}

// defaultTokenTTL is the lifetime of a personal API token unless --ttl says
// otherwise.
const defaultTokenTTL = 90 * 24 * time.Hour

func (c *cli) tokensCommand() *cobra.Command {
	tokens := &cobra.Command{Use: "tokens", Short: "Manage personal API tokens"}
	var admin bool
	var name string
	var ttl time.Duration
	create := &cobra.Command{
		Use:   "create USER",
		Short: "Create an API token for USER (name or id) and print only the token",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if ttl < 0 {
				return errors.New("--ttl must not be negative")
			}
			if ttl == 0 {
				fmt.Fprintln(c.stderr, "warning: --ttl 0 makes a token that never expires; revoke it with `factorgate tokens revoke` when it is no longer needed")
			}
			return c.withApp(cmd.Context(), func(a *app) error {
				u, err := a.store.GetUserByName(cmd.Context(), args[0])
				if errors.Is(err, store.ErrNotFound) {
					u, err = a.store.GetUser(cmd.Context(), args[0])
				}
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("no user named %q", args[0])
				}
				if err != nil {
					return err
				}
				secret, _, err := a.tokens.Create(cmd.Context(), u.ID, name, admin, ttl)
				if err != nil {
					return err
				}
				fmt.Fprintln(c.stdout, secret)
				return nil
			})
		},
	}
	create.Flags().BoolVar(&admin, "admin", false, "the token may act on other users")
	create.Flags().StringVar(&name, "name", "cli", "a label for the token")
	create.Flags().DurationVar(&ttl, "ttl", defaultTokenTTL, "lifetime of the token (0: no expiry, with a warning)")
	tokens.AddCommand(create, c.tokensListCommand(), c.tokensRevokeCommand())
	return tokens
}

func (c *cli) pluginsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "plugins", Short: "Inspect factor plugins"}
	cmd.AddCommand(c.pluginsCheckCommand())
	var tree bool
	hash := &cobra.Command{
		Use:   "hash [--tree] PATH",
		Short: "Print the SHA-256 to pin a plugin binary with (sha256), or with --tree the hash of a directory (tree_sha256)",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			hashPath := plugins.HashFile
			if tree {
				hashPath = plugins.HashTree
			}
			sum, err := hashPath(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintln(c.stdout, sum)
			return nil
		},
	}
	hash.Flags().BoolVar(&tree, "tree", false, "hash every file under the directory PATH, for tree_sha256")
	cmd.AddCommand(hash)
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List the configured (or discovered) plugins, their hashes and the factor instances they serve",
		Args:  cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			cfg, err := c.loadConfig()
			if err != nil {
				return err
			}
			serves := map[string][]string{}
			for name, f := range cfg.Factors {
				serves[f.Plugin] = append(serves[f.Plugin], name)
			}
			w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "PLUGIN\tSTATUS\tSHA256\tINSTANCES\tPATH")
			if cfg.DiscoverPlugins() {
				found, err := plugins.Discover(cfg.PluginDir)
				if err != nil {
					return err
				}
				for _, b := range found {
					inst := append(serves[b.Name], b.Name)
					sort.Strings(inst)
					fmt.Fprintf(w, "%s\tunpinned\t%s\t%s\t%s\n", b.Name, b.SHA256, strings.Join(inst, ","), b.Path)
				}
				return w.Flush()
			}
			names := make([]string, 0, len(cfg.Plugins))
			for name := range cfg.Plugins {
				names = append(names, name)
			}
			sort.Strings(names)
			for _, name := range names {
				p := cfg.Plugins[name]
				path := cfg.ResolvePluginPath(p)
				status, sum := "ok", ""
				if got, err := plugins.HashFile(path); err != nil {
					status = "missing"
				} else if sum = got; !strings.EqualFold(got, p.SHA256) {
					status = "MISMATCH (pinned " + p.SHA256 + ")"
				}
				inst := serves[name]
				sort.Strings(inst)
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", name, status, sum, strings.Join(inst, ","), path)
			}
			return w.Flush()
		},
	})
	return cmd
}

func (c *cli) keysCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Manage the keys that seal factor state"}
	var id string
	cmd.AddCommand(&cobra.Command{
		Use:   "generate",
		Short: "Print a new key entry for FACTORGATE_SEAL_KEYS",
		Args:  cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			if id == "" {
				id = "k" + time.Now().UTC().Format("20060102")
			}
			k, err := seal.GenerateKey(id, nil)
			if err != nil {
				return err
			}
			fmt.Fprintln(c.stdout, seal.FormatKeys(k))
			return nil
		},
	})
	cmd.PersistentFlags().StringVar(&id, "id", "", "key id for generate (default k<date>)")
	var batch int
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Re-seal all factor state and OAuth token keys under the active key, in batches, while the server runs",
		Long: `Re-seal all factor state and OAuth token keys under the active key, in batches, while the server runs.

Challenges and browser login flows live for minutes and are not re-sealed:
keep the old key configured for 15 minutes after the restart that made the
new key active, then drop it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if batch < 1 || batch > 10000 {
				return errors.New("--batch must be between 1 and 10000")
			}
			return c.withApp(cmd.Context(), func(a *app) error {
				rep, err := a.mfa.ResealCredentials(cmd.Context(), batch)
				fmt.Fprintf(c.stdout, "scanned %d credentials, re-sealed %d under key %q\n", rep.Scanned, rep.Resealed, a.sealer.ActiveKeyID())
				if len(rep.Failed) > 0 {
					fmt.Fprintf(c.stdout, "%d credentials could not be opened with any configured key: %s\n", len(rep.Failed), strings.Join(rep.Failed, ", "))
				}
				if err != nil {
					return err
				}
				n, err := oauth.ResealKeys(cmd.Context(), a.store, a.sealer)
				fmt.Fprintf(c.stdout, "re-sealed %d OAuth token keys\n", n)
				return err
			})
		},
	}
	rotate.Flags().IntVar(&batch, "batch", 100, "credentials per batch")
	cmd.AddCommand(rotate)
	return cmd
}
