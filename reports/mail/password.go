package mail

import (
	"fmt"

	"github.com/cxkpi/cxkpi/pipeline/secret"
)

// CheckPasswordSource checks where a password would be read from without
// reading it, so that a configuration can be checked on a machine that
// does not hold the secret: exactly one of envName and file, and envName
// a valid environment variable name. The errors match [ErrNoPassword].
func CheckPasswordSource(envName, file string) error {
	if err := secret.CheckSource(envName, file); err != nil {
		return fmt.Errorf("%w: %w", ErrNoPassword, err)
	}
	return nil
}

// PasswordFrom reads the SMTP password from the environment variable
// envName or from the file at path file; exactly one of the two must be
// given. One trailing line break ("\n" or "\r\n") is removed, so a file
// written by echo or a secrets manager works as is. An unset variable, an
// unreadable file or an empty password is an error matching
// [ErrNoPassword]. Errors never include the password.
func PasswordFrom(envName, file string) (string, error) {
	v, err := secret.Read(envName, file, "password")
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoPassword, err)
	}
	return v, nil
}
