package sample

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// Customers' histories are drawn in parallel, a chunk of consecutive
// customers at a time, and written in customer order by one goroutine, the
// sequencer. A worker numbers the identifiers a chunk hands out from 1;
// the sequencer renumbers them as it writes, exactly as drawing the
// customers one after the other numbers them, bad rows included: a
// table's identifiers in the order their rows come, tickets first so that
// the messages, surveys and reviews of a chunk can refer to them. The
// files do not depend on the number of workers or the size of a chunk.

// chunkRows is about how many rows a chunk should hold.
const chunkRows = 8192

// chunk is the rows of customers [from, to), as a worker drew them.
type chunk struct {
	from, to int
	rows     [numTables][]cell // one table's rows, one after the other
	err      error
	done     chan struct{} // closed when the worker is done
}

// collector is the encoder of a worker's tables: it keeps the rows in a
// chunk.
type collector struct{ cells []cell }

func (c *collector) write(row []cell) error {
	c.cells = append(c.cells, row...)
	return nil
}

func (c *collector) close() error { return nil }

// fork returns a generator that draws histories as g would: g's window,
// customers and agents, the model m, and tables that write with the
// encoder enc returns for each.
func (g *generator) fork(m model, specs [numTables]ingest.Spec, enc func(i int) encoder) *generator {
	f := &generator{cfg: g.cfg, clock: g.clock, start: g.start, end: g.end, cust: g.cust, agents: g.agents,
		support: g.support, social: g.social, model: m}
	f.r = rand.New(&f.pcg)
	for i, spec := range specs {
		f.tabs[i] = &table{name: spec.Table, spec: spec, file: string(spec.Table), enc: enc(i),
			cells: make([]cell, 0, len(spec.Columns)), scratch: make([]cell, 0, len(spec.Columns))}
	}
	return f
}

// chunkCustomers returns the number of customers of a chunk.
func (g *generator) chunkCustomers() int {
	if g.cfg.chunkCustomers > 0 {
		return g.cfg.chunkCustomers
	}
	rows := 0.0
	for i, spec := range g.specs() {
		if i != tSocialMentions {
			rows += g.estimate(i, spec)
		}
	}
	perCustomer := max(rows/float64(len(g.cust)), 1)
	return int(min(max(chunkRows/perCustomer, 16), 8192))
}

// specs returns the contract of every table, from g's tables.
func (g *generator) specs() [numTables]ingest.Spec {
	var specs [numTables]ingest.Spec
	for i, t := range g.tabs {
		specs[i] = t.spec
	}
	return specs
}

// run writes the history of every customer, then the social mentions.
func (g *generator) run(ctx context.Context) error {
	workers := g.cfg.workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	size := g.chunkCustomers()
	chunks := (len(g.cust) + size - 1) / size
	workers = max(min(workers, chunks), 1)
	inflight := min(2*workers+1, chunks)

	free := make(chan *chunk, inflight)
	for range inflight {
		c := &chunk{}
		for i, spec := range g.specs() { // room for a chunk of about the expected rows
			if i != tSocialMentions {
				rows := 1.25*g.estimate(i, spec)*float64(size)/float64(len(g.cust)) + 16
				c.rows[i] = make([]cell, 0, int(rows)*len(spec.Columns))
			}
		}
		free <- c
	}
	jobs := make(chan *chunk)
	order := make(chan *chunk, inflight)
	quit := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(quit)

	wg.Add(1)
	go func() { // hands out the chunks, in order
		defer wg.Done()
		defer close(jobs)
		defer close(order)
		for k := range chunks {
			var c *chunk
			select {
			case c = <-free:
			case <-quit:
				return
			}
			c.from, c.to = k*size, min((k+1)*size, len(g.cust))
			c.err, c.done = nil, make(chan struct{})
			order <- c // never blocks: at most inflight chunks are out
			select {
			case jobs <- c:
			case <-quit:
				return
			}
		}
	}()
	specs := g.specs()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var cols [numTables]*collector
			w := g.fork(g.model, specs, func(i int) encoder {
				cols[i] = &collector{}
				return cols[i]
			})
			for c := range jobs {
				w.draw(ctx, c, &cols)
				close(c.done)
			}
		}()
	}
	for c := range order {
		<-c.done
		if c.err != nil {
			return c.err
		}
		if err := g.put(c); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		free <- c
	}
	if err := g.mentions(ctx); err != nil {
		return err
	}
	return g.failed()
}

// draw draws the histories of c's customers into c, with cols the
// collectors of w's tables.
func (w *generator) draw(ctx context.Context, c *chunk, cols *[numTables]*collector) {
	for i, t := range w.tabs {
		t.next = 0
		cols[i].cells = c.rows[i][:0]
	}
	defer func() {
		for i := range w.tabs {
			c.rows[i] = cols[i].cells
		}
	}()
	for i := c.from; i < c.to; i++ {
		if (i-c.from)%256 == 0 {
			if err := ctx.Err(); err != nil {
				c.err = err
				return
			}
		}
		w.reseed(i)
		w.history(i)
		if err := w.failed(); err != nil {
			c.err = err
			return
		}
	}
}

// put writes the rows of chunk c, renumbering its identifiers.
func (g *generator) put(c *chunk) error {
	tickets := g.ticketIDs[:0] // of the chunk's tickets, by their number in the chunk
	for _, i := range [...]int{tCustomers, tTickets, tMessages, tSurveys, tQAReviews, tCalls, tFeedback, tOrders, tReferrals} {
		t, rows := g.tabs[i], c.rows[i]
		width := len(t.spec.Columns)
		ref := -1 // the column that refers to a ticket
		if i != tTickets {
			ref = t.spec.Index("ticket_id")
		}
		var last, id int64 // the identifier in the chunk and in the file of the last row
		for k := 0; k < len(rows); k += width {
			row := rows[k : k+width]
			if i != tCustomers { // customers are numbered for good already
				if row[0].kind != cellID {
					return fmt.Errorf("sample: %s row without its identifier", t.name)
				}
				if row[0].n != last {
					last, id = row[0].n, t.fresh()
					if i == tTickets {
						tickets = append(tickets, id)
					}
				}
				row[0].n = id
			}
			if ref >= 0 && row[ref].kind == cellID {
				row[ref].n = tickets[row[ref].n-1]
			}
			t.put(row)
		}
		if len(rows) > 0 {
			t.cells = append(t.cells[:0], rows[len(rows)-width:]...) // for finish
		}
		if err := t.failed(); err != nil {
			return err
		}
	}
	g.ticketIDs = tickets
	return nil
}
