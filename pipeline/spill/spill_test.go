package spill

import (
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestFilesKeepOrderByPartition(t *testing.T) {
	dir := t.TempDir()
	f := New(dir, "test", 4)
	want := map[int][]uint32{}
	rec := make([]byte, 4)
	for i := range uint32(1000) {
		part := int(i*7919) % 5
		binary.LittleEndian.PutUint32(rec, i)
		if err := f.Write(part, rec); err != nil {
			t.Fatal(err)
		}
		want[part] = append(want[part], i)
	}
	if f.Parts() != 5 {
		t.Fatalf("Parts = %d, want 5", f.Parts())
	}
	for round := range 2 { // reading twice, with a write between
		for part := range 6 { // partition 5 was never written
			var got []uint32
			err := f.Read(part, func(r []byte) error {
				got = append(got, binary.LittleEndian.Uint32(r))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want[part]) {
				t.Errorf("round %d, partition %d: got %d records, want %d in order", round, part, len(got), len(want[part]))
			}
		}
		binary.LittleEndian.PutUint32(rec, 5000)
		if err := f.Write(0, rec); err != nil {
			t.Fatal(err)
		}
		want[0] = append(want[0], 5000)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) > 0 {
		t.Errorf("%d files left after Close", len(left))
	}
}

func TestFilesMissingDir(t *testing.T) {
	f := New(filepath.Join(t.TempDir(), "absent"), "test", 1)
	if err := f.Write(0, []byte{1}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Write into a missing directory: %v, want fs.ErrNotExist", err)
	}
}
