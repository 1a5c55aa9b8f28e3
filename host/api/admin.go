package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/factorgate/factorgate/host/operator"
	"github.com/factorgate/factorgate/host/store"
)

// Operator carries out the admin routes' actions, auditing each with who
// acted (*operator.Service).
type Operator interface {
	User(ctx context.Context, idOrName string) (store.User, error)
	Users(ctx context.Context, q store.UserQuery) ([]store.User, error)
	Disable(ctx context.Context, a operator.Actor, idOrName string) (store.User, error)
	Enable(ctx context.Context, a operator.Actor, idOrName string) (store.User, error)
	Delete(ctx context.Context, a operator.Actor, idOrName string) (store.User, error)
	SetPassword(ctx context.Context, a operator.Actor, idOrName, password string) (store.User, error)
	Unlock(ctx context.Context, a operator.Actor, idOrName string) (store.User, int64, error)
	Tokens(ctx context.Context, idOrName string) ([]store.APIToken, error)
	RevokeToken(ctx context.Context, a operator.Actor, id string) (store.APIToken, error)
	Audit(ctx context.Context, q store.AuditQuery) ([]store.AuditEvent, error)
}

var _ Operator = (*operator.Service)(nil)

// Problems of the admin routes.
var (
	kindUserNotFound  = &kind{status: 404, slug: "user-not-found", title: "User not found", detail: "the user does not exist"}
	kindTokenNotFound = &kind{status: 404, slug: "token-not-found", title: "Token not found", detail: "no API token has this id"}
)

// maxPage bounds the page size of the admin listings.
const maxPage = 1000

// adminOnly refuses a caller without an admin token, and a host without an
// operator service.
func (s *server) adminOnly(r *http.Request) error {
	if !principal(r).Admin {
		return &apiError{kind: kindForbidden, detail: "this needs an admin token"}
	}
	if s.deps.Operator == nil {
		return &apiError{kind: kindNotFound, detail: "this server has no admin routes"}
	}
	return nil
}

// adminTarget is the {user} of an admin route: an id or a name, or "me" for
// the caller.
func adminTarget(r *http.Request) (string, error) {
	id, err := idParam(r, "user")
	if id == "me" {
		return principal(r).User.ID, nil
	}
	return id, err
}

// actor names the admin caller in the audit log.
func (s *server) actor(r *http.Request) operator.Actor {
	m := s.meta(r)
	return operator.Actor{ID: m.Actor, RemoteAddr: m.RemoteAddr, Via: m.Via}
}

// adminUserJSON is a user as an admin sees it.
type adminUserJSON struct {
	userJSON
	Disabled    bool       `json:"disabled"`
	DisabledAt  *time.Time `json:"disabled_at,omitempty"`
	HasPassword bool       `json:"has_password"`
	CreatedAt   time.Time  `json:"created_at"`
}

func toAdminUser(u store.User) adminUserJSON {
	out := adminUserJSON{userJSON: toUser(u), Disabled: u.Disabled(), HasPassword: u.PasswordHash != "", CreatedAt: u.CreatedAt.UTC()}
	if u.Disabled() {
		at := u.DisabledAt.UTC()
		out.DisabledAt = &at
	}
	return out
}

// operatorError maps the operator's errors to problems.
func operatorError(err error) error {
	switch {
	case errors.Is(err, operator.ErrNoUser):
		return &apiError{kind: kindUserNotFound}
	case errors.Is(err, operator.ErrNoToken):
		return &apiError{kind: kindTokenNotFound}
	}
	return err
}

// pageLimit reads the limit query parameter (default 100).
func pageLimit(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 100, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxPage {
		return 0, invalid("limit", "limit must be between 1 and %d", maxPage)
	}
	return n, nil
}

// listUsers serves GET /v1/users (admin only): users by name, a page at a
// time, optionally searched by name or email.
func (s *server) listUsers(w http.ResponseWriter, r *http.Request) error {
	if err := s.adminOnly(r); err != nil {
		return err
	}
	limit, err := pageLimit(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	users, err := s.deps.Operator.Users(r.Context(), store.UserQuery{Search: q.Get("search"), After: q.Get("after"), Limit: limit})
	if err != nil {
		return err
	}
	out := struct {
		Users []adminUserJSON `json:"users"`
		Next  string          `json:"next,omitempty"`
	}{Users: []adminUserJSON{}}
	for _, u := range users {
		out.Users = append(out.Users, toAdminUser(u))
	}
	if len(users) == limit {
		out.Next = users[len(users)-1].Name
	}
	s.writeJSON(w, r, http.StatusOK, out)
	return nil
}

// showUser serves GET /v1/users/{user} (admin only; id or name).
func (s *server) showUser(w http.ResponseWriter, r *http.Request) error {
	if err := s.adminOnly(r); err != nil {
		return err
	}
	id, err := adminTarget(r)
	if err != nil {
		return err
	}
	u, err := s.deps.Operator.User(r.Context(), id)
	if err != nil {
		return operatorError(err)
	}
	s.writeJSON(w, r, http.StatusOK, toAdminUser(u))
	return nil
}

// userAction serves an admin action on {user} that answers with the user.
func (s *server) userAction(act func(ctx context.Context, a operator.Actor, idOrName string) (store.User, error), status int) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := s.adminOnly(r); err != nil {
			return err
		}
		id, err := adminTarget(r)
		if err != nil {
			return err
		}
		u, err := act(r.Context(), s.actor(r), id)
		if err != nil {
			return operatorError(err)
		}
		if status == http.StatusNoContent {
			w.WriteHeader(status)
			return nil
		}
		s.writeJSON(w, r, status, toAdminUser(u))
		return nil
	}
}

func (s *server) disableUser(w http.ResponseWriter, r *http.Request) error {
	return s.userAction(func(ctx context.Context, a operator.Actor, id string) (store.User, error) {
		return s.deps.Operator.Disable(ctx, a, id)
	}, http.StatusOK)(w, r)
}

func (s *server) enableUser(w http.ResponseWriter, r *http.Request) error {
	return s.userAction(func(ctx context.Context, a operator.Actor, id string) (store.User, error) {
		return s.deps.Operator.Enable(ctx, a, id)
	}, http.StatusOK)(w, r)
}

func (s *server) deleteUser(w http.ResponseWriter, r *http.Request) error {
	return s.userAction(func(ctx context.Context, a operator.Actor, id string) (store.User, error) {
		return s.deps.Operator.Delete(ctx, a, id)
	}, http.StatusNoContent)(w, r)
}

func (s *server) unlockUser(w http.ResponseWriter, r *http.Request) error {
	return s.userAction(func(ctx context.Context, a operator.Actor, id string) (store.User, error) {
		u, _, err := s.deps.Operator.Unlock(ctx, a, id)
		return u, err
	}, http.StatusOK)(w, r)
}

type passwordBody struct {
	Password string `json:"password"`
}

// setPassword serves PUT /v1/users/{user}/password (admin only).
func (s *server) setPassword(w http.ResponseWriter, r *http.Request) error {
	if err := s.adminOnly(r); err != nil {
		return err
	}
	var body passwordBody
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	if err := checkPassword(body.Password); err != nil {
		return err
	}
	return s.userAction(func(ctx context.Context, a operator.Actor, id string) (store.User, error) {
		return s.deps.Operator.SetPassword(ctx, a, id, body.Password)
	}, http.StatusOK)(w, r)
}

// tokenJSON is a personal API token as an admin sees it, never its secret.
type tokenJSON struct {
	ID         string     `json:"id"`
	UserID     string     `json:"user_id"`
	Name       string     `json:"name"`
	Admin      bool       `json:"admin"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// listTokens serves GET /v1/tokens (admin only), of one user with ?user=.
func (s *server) listTokens(w http.ResponseWriter, r *http.Request) error {
	if err := s.adminOnly(r); err != nil {
		return err
	}
	tokens, err := s.deps.Operator.Tokens(r.Context(), r.URL.Query().Get("user"))
	if err != nil {
		return operatorError(err)
	}
	out := struct {
		Tokens []tokenJSON `json:"tokens"`
	}{Tokens: []tokenJSON{}}
	for _, t := range tokens {
		out.Tokens = append(out.Tokens, tokenJSON{ID: t.ID, UserID: t.UserID, Name: t.Name, Admin: t.Admin, CreatedAt: t.CreatedAt.UTC(),
			ExpiresAt: optionalTime(t.ExpiresAt), LastUsedAt: optionalTime(t.LastUsedAt)})
	}
	s.writeJSON(w, r, http.StatusOK, out)
	return nil
}

// revokeToken serves DELETE /v1/tokens/{token} (admin only).
func (s *server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	if err := s.adminOnly(r); err != nil {
		return err
	}
	id, err := idParam(r, "token")
	if err != nil {
		return err
	}
	if _, err := s.deps.Operator.RevokeToken(r.Context(), s.actor(r), id); err != nil {
		return operatorError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// readAudit serves GET /v1/audit (admin only): events newest first, by
// user, since a time, by action; ?before= the last id of the previous page.
func (s *server) readAudit(w http.ResponseWriter, r *http.Request) error {
	if err := s.adminOnly(r); err != nil {
		return err
	}
	q, err := auditQuery(r)
	if err != nil {
		return err
	}
	events, err := s.deps.Operator.Audit(r.Context(), q)
	if err != nil {
		return err
	}
	out := struct {
		Events []operator.AuditEventJSON `json:"events"`
		Next   int64                     `json:"next,omitempty"`
	}{Events: []operator.AuditEventJSON{}}
	for _, e := range events {
		out.Events = append(out.Events, operator.AuditJSON(e))
	}
	if len(events) == q.Limit {
		out.Next = events[len(events)-1].ID
	}
	s.writeJSON(w, r, http.StatusOK, out)
	return nil
}

// auditQuery reads the query parameters of GET /v1/audit.
func auditQuery(r *http.Request) (store.AuditQuery, error) {
	v := r.URL.Query()
	limit, err := pageLimit(r)
	if err != nil {
		return store.AuditQuery{}, err
	}
	q := store.AuditQuery{UserID: v.Get("user"), Action: v.Get("action"), Limit: limit}
	if since := v.Get("since"); since != "" {
		if q.Since, err = time.Parse(time.RFC3339, since); err != nil {
			return q, invalid("since", "since must be an RFC 3339 time")
		}
	}
	if before := v.Get("before"); before != "" {
		if q.Before, err = strconv.ParseInt(before, 10, 64); err != nil || q.Before < 1 {
			return q, invalid("before", "before must be a positive event id")
		}
	}
	return q, nil
}
