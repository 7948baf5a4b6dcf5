package ingest

import "context"

// start starts the goroutines of a reader with more than one worker: one
// cuts the files into chunks and sends each both to the workers and, in
// order, to Read; the workers convert them. There are at most two chunks
// per worker, so memory stays bounded however far the goroutines get
// ahead of Read.
func (r *Reader) start() error {
	convs := make([]*converter, r.opt.Workers)
	for i := range convs {
		cv, err := newConverter(r.plan, r.schema, r.mem, r.hasher)
		if err != nil {
			for _, cv := range convs[:i] {
				cv.release()
			}
			return err
		}
		convs[i] = cv
	}
	n := 2 * len(convs)
	ctx, cancel := context.WithCancel(r.ctx)
	r.cancel = cancel
	r.rows.ctx = ctx
	r.order = make(chan *chunk, n)
	r.free = make(chan *chunk, n)
	work := make(chan *chunk, n)
	r.wg.Add(1 + len(convs))
	go r.cut(ctx, work, n)
	for _, cv := range convs {
		go r.work(cv, work)
	}
	return nil
}

// cut fills chunks until the files end, an error, or cancellation. The
// channels have room for every chunk, so it blocks only waiting for a free
// one.
func (r *Reader) cut(ctx context.Context, work chan<- *chunk, n int) {
	defer r.wg.Done()
	defer close(work)
	defer close(r.order)
	made := 0
	for more := true; more; {
		var c *chunk
		select {
		case c = <-r.free:
		default:
			if made < n {
				c = newChunk()
				made++
				break
			}
			select {
			case c = <-r.free:
			case <-ctx.Done():
				return
			}
		}
		more = r.rows.fill(c)
		r.order <- c
		work <- c
	}
}

// work converts chunks until there are no more. After cancellation it
// still converts the few already cut, which stop then releases.
func (r *Reader) work(cv *converter, work <-chan *chunk) {
	defer r.wg.Done()
	defer cv.release()
	for c := range work {
		cv.convert(c)
		c.done <- struct{}{}
	}
}

// stop stops the goroutines, if they run, releases the chunks they left
// and closes the open file. It returns the error of closing it.
func (r *Reader) stop() error {
	if r.cancel != nil {
		r.cancel()
		r.wg.Wait()
		for c := range r.order {
			<-c.done
			c.reset()
		}
		r.cancel = nil
		r.free = nil
	}
	return r.rows.close()
}
