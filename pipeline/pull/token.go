package pull

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrNoToken is wrapped by every error of [TokenFrom] and
// [CheckTokenSource].
var ErrNoToken = errors.New("pull: no token")

// CheckTokenSource checks where a token is to be read from without
// reading it: exactly one of an environment variable's name and a file.
func CheckTokenSource(envName, file string) error {
	switch {
	case envName != "" && file != "":
		return fmt.Errorf("%w: give an environment variable or a file, not both (%s, %s)", ErrNoToken, envName, file)
	case envName == "" && file == "":
		return fmt.Errorf("%w: neither an environment variable nor a file given", ErrNoToken)
	case envName != "" && !validEnvName(envName):
		return fmt.Errorf("%w: %q is not an environment variable name (letters, digits and _, not starting with a digit)", ErrNoToken, envName)
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

// TokenFrom reads the API token from the environment variable envName or
// from the file at path file; exactly one must be given. One trailing
// line break is removed, so a file written by echo or a secrets manager
// works as it is. Errors never hold the token.
func TokenFrom(envName, file string) (string, error) {
	if err := CheckTokenSource(envName, file); err != nil {
		return "", err
	}
	var v, source string
	if envName != "" {
		var ok bool
		if v, ok = os.LookupEnv(envName); !ok {
			return "", fmt.Errorf("%w: environment variable %s is not set", ErrNoToken, envName)
		}
		source = "environment variable " + envName
	} else {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%w: read token file: %w", ErrNoToken, err)
		}
		v, source = string(b), "token file "+file
	}
	v = strings.TrimSuffix(strings.TrimSuffix(v, "\n"), "\r")
	switch {
	case v == "":
		return "", fmt.Errorf("%w: %s is empty", ErrNoToken, source)
	case strings.ContainsAny(v, "\x00\r\n"):
		return "", fmt.Errorf("%w: %s has more than one line or a NUL byte", ErrNoToken, source)
	}
	return v, nil
}
