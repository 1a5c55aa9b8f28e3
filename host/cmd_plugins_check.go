package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/factorgate/factorgate/sdk/factortest"
)

// gatewayPlaceholder in --settings is replaced by the URL of the gateway
// --gateway starts.
const gatewayPlaceholder = "{{gateway}}"

// pluginsCheckCommand is `factorgate plugins check`: the conformance kit run
// against any plugin executable, whatever its language.
func (c *cli) pluginsCheckCommand() *cobra.Command {
	var (
		settings, prover string
		params           []string
		gateway, verbose bool
	)
	cmd := &cobra.Command{
		Use:   "check PATH",
		Short: "Check a plugin executable, in any language, against the factor contract",
		Long: `Check runs the conformance kit against the plugin at PATH, launched as the
host launches it. Without --prover it runs the checks that need no valid proof
(the description, refusal of unreadable states); with one, every check.

The prover is a shell command that reads JSON on stdin ({"step": "enroll" or
"verify", "now", "display", "enrollment": {"begin", "finish"}, "messages"}) and
prints a valid proof: the code, or {"code": ..., "payload": base64}.

--gateway starts an HTTP endpoint on the loopback that accepts any POST, for
factors that send codes through a webhook: "` + gatewayPlaceholder + `" in --settings is
replaced by its URL, and the prover's input lists the bodies it received.

The exit status is 0 only when every check that ran passed.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := checkOptions(params)
			if err != nil {
				return err
			}
			var messages func() []json.RawMessage
			if gateway {
				gw, err := startGateway()
				if err != nil {
					return err
				}
				defer gw.close()
				settings = strings.ReplaceAll(settings, gatewayPlaceholder, gw.url)
				messages = gw.messages
			}
			if settings != "" {
				opts = append(opts, factortest.WithSettings(json.RawMessage(settings)))
			}
			var p factortest.Prover
			if prover != "" {
				p = factortest.CommandProver{Command: prover, Messages: messages}
			}
			report := factortest.CheckBinary(cmd.Context(), args[0], p, opts...)
			return printReport(c.stdout, args[0], report, verbose)
		},
	}
	cmd.Flags().StringVar(&settings, "settings", "", "operator settings for the factor instance, a JSON object")
	cmd.Flags().StringVar(&prover, "prover", "", "shell command that prints a valid proof for the JSON on its stdin")
	cmd.Flags().StringArrayVar(&params, "param", nil, "enrollment parameter KEY=VALUE (repeatable), such as phone=+61412345678")
	cmd.Flags().BoolVar(&gateway, "gateway", false, "start a loopback HTTP gateway that records what the factor sends")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "print every check's log, the plugin's own log lines included")
	return cmd
}

// checkOptions turns the --param flags into kit options.
func checkOptions(params []string) ([]factortest.Option, error) {
	if len(params) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(params))
	for _, p := range params {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--param %q: want KEY=VALUE", p)
		}
		m[k] = v
	}
	return []factortest.Option{factortest.WithEnrollParams(m)}, nil
}

// printReport writes one line per check, each failure under its check, and a
// summary; it returns an error when a check failed.
func printReport(w io.Writer, path string, r factortest.Report, verbose bool) error {
	counts := map[factortest.Outcome]int{}
	for _, c := range r.Checks {
		counts[c.Outcome]++
		fmt.Fprintf(w, "%-4s  %s\n", c.Outcome, c.Name)
		for _, f := range c.Failures {
			fmt.Fprintf(w, "      %s\n", indent(f))
		}
		if verbose || c.Outcome == factortest.Skipped {
			for _, l := range c.Log {
				if l != "" {
					fmt.Fprintf(w, "      | %s\n", indent(l))
				}
			}
		}
	}
	fmt.Fprintf(w, "%d passed, %d failed, %d skipped\n", counts[factortest.Passed], counts[factortest.Failed], counts[factortest.Skipped])
	if !r.Passed() {
		return fmt.Errorf("plugin %s does not pass the factor contract", path)
	}
	return nil
}

func indent(s string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n        ")
}

// maxGatewayBody bounds what the gateway keeps of one request.
const maxGatewayBody = 64 << 10

// recordingGateway is a loopback HTTP endpoint that accepts every POST and
// keeps its body, standing in for an email or SMS gateway.
type recordingGateway struct {
	url string
	srv *http.Server

	mu     sync.Mutex
	bodies []json.RawMessage
}

func startGateway() (*recordingGateway, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	g := &recordingGateway{url: "http://" + ln.Addr().String() + "/"}
	g.srv = &http.Server{Handler: http.HandlerFunc(g.record), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := g.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = ln.Close()
		}
	}()
	return g, nil
}

func (g *recordingGateway) record(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "only POST", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxGatewayBody))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	msg := json.RawMessage(body)
	if !json.Valid(body) {
		msg, _ = json.Marshal(string(body))
	}
	g.mu.Lock()
	g.bodies = append(g.bodies, msg)
	g.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

// messages returns the bodies received so far, oldest first.
func (g *recordingGateway) messages() []json.RawMessage {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]json.RawMessage(nil), g.bodies...)
}

func (g *recordingGateway) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = g.srv.Shutdown(ctx)
}
