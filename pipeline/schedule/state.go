package schedule

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// StateFile is the name of the state file inside [Config.StateDir].
const StateFile = "cxkpi-state.json"

// State is what [Run] records in [StateFile] after each scheduled run, while
// holding the run lock. A run is failing when LastErrorAt is after
// LastSuccess.
type State struct {
	// LastSuccess is when the last successful run finished.
	LastSuccess time.Time `json:"last_success,omitzero"`
	// LastSuccessScheduled is the scheduled time that run was for; catch-up
	// compares it with the most recent scheduled time.
	LastSuccessScheduled time.Time `json:"last_success_scheduled,omitzero"`
	// LastSuccessAsOf is the as-of time that run passed to the job.
	LastSuccessAsOf time.Time `json:"last_success_as_of,omitzero"`
	// LastError is the error of the last failed run; it is kept after later
	// successes, so compare LastErrorAt with LastSuccess.
	LastError string `json:"last_error,omitempty"`
	// LastErrorAt is when the last failed run returned.
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	// LastErrorScheduled is the scheduled time the failed run was for.
	LastErrorScheduled time.Time `json:"last_error_scheduled,omitzero"`
}

// ReadState reads [StateFile] in dir. A missing file is not an error: it
// returns the zero State, as before the first run.
func ReadState(dir string) (State, error) {
	path := filepath.Join(dir, StateFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return State{}, nil
	}
	if err != nil {
		return State{}, fmt.Errorf("schedule: read state: %w", err)
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return State{}, fmt.Errorf("schedule: read state %s: %w", path, err)
	}
	return st, nil
}

// writeState replaces [StateFile] in dir atomically: a temporary file in
// the same directory, synced, then renamed over it.
func writeState(dir string, st State) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("schedule: encode state: %w", err)
	}
	tmp, err := os.CreateTemp(dir, StateFile+".tmp-*")
	if err != nil {
		return fmt.Errorf("schedule: write state: %w", err)
	}
	_, err = tmp.Write(append(data, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, StateFile))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("schedule: write state: %w", err)
	}
	return nil
}
