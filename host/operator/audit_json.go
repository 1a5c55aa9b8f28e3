package operator

import (
	"time"

	"github.com/factorgate/factorgate/host/store"
)

// AuditEventJSON is an audit event as the command line (--json) and the
// admin API (GET /v1/audit) show it: one shape for both.
type AuditEventJSON struct {
	ID           int64             `json:"id"`
	Time         time.Time         `json:"time"`
	UserID       string            `json:"user_id,omitempty"`
	Actor        string            `json:"actor,omitempty"`
	Action       string            `json:"action"`
	Factor       string            `json:"factor,omitempty"`
	CredentialID string            `json:"credential_id,omitempty"`
	Result       string            `json:"result,omitempty"`
	RemoteAddr   string            `json:"remote_addr,omitempty"`
	Detail       map[string]string `json:"detail,omitempty"`
}

// AuditJSON is e in the shape of AuditEventJSON, its time in UTC.
func AuditJSON(e store.AuditEvent) AuditEventJSON {
	return AuditEventJSON{ID: e.ID, Time: e.Time.UTC(), UserID: e.UserID, Actor: e.Actor, Action: e.Action, Factor: e.Factor,
		CredentialID: e.CredentialID, Result: e.Result, RemoteAddr: e.RemoteAddr, Detail: e.Detail}
}
