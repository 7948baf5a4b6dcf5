package mail

import (
	"fmt"
	"os"
	"strings"
)

// CheckPasswordSource checks where a password would be read from without
// reading it, so that a configuration can be checked on a machine that
// does not hold the secret: exactly one of envName and file, and envName
// a valid environment variable name. The errors match [ErrNoPassword].
func CheckPasswordSource(envName, file string) error {
	switch {
	case envName != "" && file != "":
		return fmt.Errorf("%w: give an environment variable or a file, not both (%s, %s)", ErrNoPassword, envName, file)
	case envName == "" && file == "":
		return fmt.Errorf("%w: neither an environment variable nor a file given", ErrNoPassword)
	case envName != "" && !validEnvName(envName):
		return fmt.Errorf("%w: %q is not an environment variable name (letters, digits and _, not starting with a digit)", ErrNoPassword, envName)
	}
	return nil
}

func validEnvName(s string) bool {
	for i, r := range s {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return s != ""
}

// PasswordFrom reads the SMTP password from the environment variable
// envName or from the file at path file; exactly one of the two must be
// given. One trailing line break ("\n" or "\r\n") is removed, so a file
// written by echo or a secrets manager works as is. An unset variable, an
// unreadable file or an empty password is an error matching
// [ErrNoPassword]. Errors never include the password.
func PasswordFrom(envName, file string) (string, error) {
	if err := CheckPasswordSource(envName, file); err != nil {
		return "", err
	}
	if envName != "" {
		v, ok := os.LookupEnv(envName)
		if !ok {
			return "", fmt.Errorf("%w: environment variable %s is not set", ErrNoPassword, envName)
		}
		return checkPassword(v, "environment variable "+envName)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%w: read password file: %w", ErrNoPassword, err)
	}
	return checkPassword(string(b), "password file "+file)
}

// checkPassword trims one trailing line break from v and rejects an empty
// or multi-line password; source names where v came from.
func checkPassword(v, source string) (string, error) {
	v = trimNewline(v)
	switch {
	case v == "":
		return "", fmt.Errorf("%w: %s is empty", ErrNoPassword, source)
	case strings.ContainsAny(v, "\x00\r\n"):
		return "", fmt.Errorf("%w: %s has more than one line or a NUL byte", ErrNoPassword, source)
	}
	return v, nil
}

func trimNewline(s string) string {
	if t, ok := strings.CutSuffix(s, "\r\n"); ok {
		return t
	}
	t, _ := strings.CutSuffix(s, "\n")
	return t
}
