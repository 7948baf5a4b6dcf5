package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing/fstest"

	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

func ExampleOpen() {
	exports := fstest.MapFS{"tickets.csv": {Data: []byte(
		"ticket_id,channel,created_at,status\n" +
			"T1,Email,2024-03-01 09:15,open\n" +
			"T2,fax,2024-03-01 10:00,open\n" +
			"T3,chat,2024-03-01T11:00:00+01:00,Solved\n")}}
	r, err := ingest.Open(context.Background(), exports, ingest.Tickets, memory.NewGoAllocator(), ingest.Options{
		Reject: func(rej ingest.Rejection) error {
			fmt.Printf("rejected %s:%d:%d %s: %s\n", rej.File, rej.Line, rej.Column, rej.Field, rej.Reason)
			return nil
		},
	})
	if errors.Is(err, ingest.ErrNoInput) {
		return // no tickets export: skip the table
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			fmt.Println(rec.Column(0).ValueStr(i), rec.Column(2).ValueStr(i), rec.Column(3).ValueStr(i), rec.Column(5).ValueStr(i))
		}
		rec.Release()
	}
	fmt.Printf("%+v\n", r.Counts())
	// Output:
	// rejected tickets.csv:3:2 channel: unexpected value "fax", want one of email, chat, phone, social, web, messaging, other
	// T1 email 2024-03-01 09:15:00Z open
	// T3 chat 2024-03-01 10:00:00Z solved
	// {Read:3 Accepted:2 Skipped:0 Rejected:1}
}
