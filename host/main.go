// Command factorgate is the Factorgate MFA server and its administration
// commands. main only wires configuration to parts to the server; the parts
// live in the packages below host/.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/factorgate/factorgate/host/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.LookupEnv)
	stop()
	os.Exit(code)
}

// cli is what every command shares: where it reads and writes, and how it
// loads the configuration.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	env            func(string) (string, bool)
	configPath     string
}

// run executes the command line and returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env func(string) (string, bool)) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr, env: env}
	root := &cobra.Command{
		Use:           "factorgate",
		Short:         "Factorgate: a pluggable MFA server",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&c.configPath, "config", "", "YAML configuration file (default $"+config.EnvConfig+")")
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(
		c.serveCommand(),
		c.migrateCommand(),
		c.usersCommand(),
		c.tokensCommand(),
		c.pluginsCommand(),
		c.keysCommand(),
		c.apikeysCommand(),
		c.clientsCommand(),
		c.auditCommand(),
	)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(stderr, "factorgate:", err)
		return 1
	}
	return 0
}

// loadConfig reads the configuration from --config, or FACTORGATE_CONFIG, and
// the environment.
func (c *cli) loadConfig() (*config.Config, error) {
	if c.configPath != "" {
		return config.Load(c.configPath, c.env)
	}
	return config.FromEnvironment(c.env)
}

// newLogger logs to stderr in the configured level and format.
func (c *cli) newLogger(cfg *config.Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.Log.SlogLevel()}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(c.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(c.stderr, opts))
}
