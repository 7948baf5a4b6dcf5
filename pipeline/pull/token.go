package pull

import (
	"errors"
	"fmt"

	"github.com/cxkpi/cxkpi/pipeline/secret"
)

// ErrNoToken is wrapped by every error of [TokenFrom] and
// [CheckTokenSource].
var ErrNoToken = errors.New("pull: no token")

// CheckTokenSource checks where a token is to be read from without
// reading it: exactly one of an environment variable's name and a file.
func CheckTokenSource(envName, file string) error {
	if err := secret.CheckSource(envName, file); err != nil {
		return fmt.Errorf("%w: %w", ErrNoToken, err)
	}
	return nil
}

// TokenFrom reads the API token from the environment variable envName or
// from the file at path file; exactly one must be given. One trailing
// line break is removed, so a file written by echo or a secrets manager
// works as it is. Errors never hold the token.
func TokenFrom(envName, file string) (string, error) {
	v, err := secret.Read(envName, file, "token")
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoToken, err)
	}
	return v, nil
}
