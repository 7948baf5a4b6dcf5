package reports_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/cxkpi/cxkpi/reports"
)

// A file written with WriteAtomic appears complete or not at all.
func ExampleWriteAtomic() {
	dir, err := os.MkdirTemp("", "cxkpi-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "summary.json")

	err = reports.WriteAtomic(path, func(w io.Writer) error {
		_, err := io.WriteString(w, `{"rejected": 0}`+"\n")
		return err
	})
	fmt.Println(err)
	b, _ := os.ReadFile(path)
	fmt.Print(string(b))

	// A failing writer leaves the previous content in place.
	err = reports.WriteAtomic(path, func(w io.Writer) error {
		io.WriteString(w, `{"rej`)
		return fmt.Errorf("encode summary: disk full")
	})
	fmt.Println(err)
	b, _ = os.ReadFile(path)
	fmt.Print(string(b))
	// Output:
	// <nil>
	// {"rejected": 0}
	// encode summary: disk full
	// {"rejected": 0}
}
