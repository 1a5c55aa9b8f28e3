package auth

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// PasswordCost is the bcrypt cost of stored passwords (about 200 ms here),
// slow enough that a database dump does not give passwords away cheaply.
const PasswordCost = 12

// MaxPasswordBytes is bcrypt's limit; longer passwords are refused rather
// than silently truncated.
const MaxPasswordBytes = 72

// ErrPasswordTooLong and ErrPasswordTooShort report an unacceptable password.
var (
	ErrPasswordTooLong  = fmt.Errorf("password is longer than %d bytes", MaxPasswordBytes)
	ErrPasswordTooShort = errors.New("password must be at least 8 characters")
)

// HashPassword returns the bcrypt hash stored for a password.
func HashPassword(password string) (string, error) {
	switch {
	case len(password) > MaxPasswordBytes:
		return "", ErrPasswordTooLong
	case len([]rune(password)) < 8:
		return "", ErrPasswordTooShort
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), PasswordCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// CheckPassword reports whether password matches the stored hash, in time
// that does not depend on how much of it matches.
func CheckPassword(hash, password string) bool {
	if hash == "" || len(password) > MaxPasswordBytes {
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}
