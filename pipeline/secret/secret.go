// Package secret reads a secret — an SMTP password, an API token — from
// an environment variable or a file, never from the configuration file
// itself, and checks where it would come from without reading it. Its
// errors never hold the secret.
package secret

import (
	"fmt"
	"os"
	"strings"
)

// CheckSource checks where a secret would be read from without reading
// it, so that a configuration can be checked on a machine that does not
// hold the secret: exactly one of envName and file, and envName a valid
// environment variable name.
func CheckSource(envName, file string) error {
	switch {
	case envName != "" && file != "":
		return fmt.Errorf("give an environment variable or a file, not both (%s, %s)", envName, file)
	case envName == "" && file == "":
		return fmt.Errorf("neither an environment variable nor a file given")
	case envName != "" && !validEnvName(envName):
		return fmt.Errorf("%q is not an environment variable name (letters, digits and _, not starting with a digit)", envName)
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

// Read reads the secret from the environment variable envName or from
// the file at path file; exactly one must be given. One trailing line
// break ("\n" or "\r\n") is removed, so a file written by echo or a
// secrets manager works as it is. An unset variable, an unreadable file,
// an empty secret or one of more than one line is an error naming the
// source (what names the secret in it: "password", "token"), never the
// value.
func Read(envName, file, what string) (string, error) {
	if err := CheckSource(envName, file); err != nil {
		return "", err
	}
	var v, source string
	if envName != "" {
		var ok bool
		if v, ok = os.LookupEnv(envName); !ok {
			return "", fmt.Errorf("environment variable %s is not set", envName)
		}
		source = "environment variable " + envName
	} else {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("read %s file: %w", what, err)
		}
		v, source = string(b), what+" file "+file
	}
	if t, ok := strings.CutSuffix(v, "\r\n"); ok {
		v = t
	} else {
		v = strings.TrimSuffix(v, "\n")
	}
	switch {
	case v == "":
		return "", fmt.Errorf("%s is empty", source)
	case strings.ContainsAny(v, "\x00\r\n"):
		return "", fmt.Errorf("%s has more than one line or a NUL byte", source)
	}
	return v, nil
}
