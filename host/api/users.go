package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/factorgate/factorgate/host/store"
)

// userJSON is a user as the API shows it, never with the password hash.
type userJSON struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	OrgID int64  `json:"org_id"`
	Email string `json:"email,omitempty"`
	Admin bool   `json:"admin"`
}

func toUser(u store.User) userJSON {
	return userJSON{ID: u.ID, Name: u.Name, OrgID: u.OrgID, Email: u.Email, Admin: u.Admin}
}

// me serves GET /v1/users/me: the caller.
func (s *server) me(w http.ResponseWriter, r *http.Request) error {
	s.writeJSON(w, r, http.StatusOK, toUser(principal(r).User))
	return nil
}

type createUserBody struct {
	Name     string `json:"name"`
	Password string `json:"password"`
	Email    string `json:"email"`
}

// createUser serves POST /v1/users (admin only). The new user joins the
// caller's organisation.
func (s *server) createUser(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if !p.Admin {
		return &apiError{kind: kindForbidden, detail: "creating users needs an admin token"}
	}
	var body createUserBody
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	if err := checkUserName(body.Name); err != nil {
		return err
	}
	if body.Password != "" {
		if err := checkPassword(body.Password); err != nil {
			return err
		}
		if s.deps.Passwords == nil {
			return invalid("password", "this server does not accept passwords")
		}
	}
	if body.Email != "" {
		if err := checkEmail(body.Email); err != nil {
			return err
		}
	}
	u := store.User{ID: s.deps.NewID(), OrgID: p.User.OrgID, Name: body.Name, Email: body.Email}
	if u.OrgID == 0 {
		org, err := s.deps.Users.EnsureDefaultOrg(r.Context())
		if err != nil {
			return fmt.Errorf("default organisation: %w", err)
		}
		u.OrgID = org.ID
	}
	if body.Password != "" {
		hash, err := s.deps.Passwords.HashPassword(body.Password)
		if err != nil {
			return fmt.Errorf("hash password: %w", err)
		}
		u.PasswordHash = hash
	}
	now := s.deps.Now().UTC()
	u.CreatedAt, u.UpdatedAt = now, now
	created, err := s.deps.Users.CreateUser(r.Context(), u)
	if errors.Is(err, store.ErrAlreadyExists) {
		return &apiError{kind: kindUserExists, field: "name", detail: fmt.Sprintf("a user named %q already exists", body.Name)}
	}
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	s.writeJSON(w, r, http.StatusCreated, toUser(created))
	return nil
}
