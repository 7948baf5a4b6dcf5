package pipeline

import "time"

// Stage is the time a run spent in one stage, for the manifest and the
// performance log: read (open files, parse, convert to Arrow), aggregate
// (KPI engine and model inputs, batch by batch), kpi (finish the KPI
// table), models (fit and write the model tables), render (KPI Parquet and
// PDF) and checksums.
type Stage struct {
	Name       string  `json:"name"`
	Seconds    float64 `json:"seconds"`
	Rows       int64   `json:"rows,omitempty"`
	RowsPerSec float64 `json:"rows_per_sec,omitempty"`
}

// stopwatch adds up the time of named stages, in first-use order.
type stopwatch struct {
	order []string
	dur   map[string]time.Duration
	rows  map[string]int64
}

func newStopwatch() *stopwatch {
	return &stopwatch{dur: map[string]time.Duration{}, rows: map[string]int64{}}
}

// since adds the time since start to stage name.
func (s *stopwatch) since(name string, start time.Time) {
	if _, ok := s.dur[name]; !ok {
		s.order = append(s.order, name)
	}
	s.dur[name] += time.Since(start)
}

func (s *stopwatch) count(name string, rows int64) { s.rows[name] += rows }

func (s *stopwatch) stages() []Stage {
	out := make([]Stage, 0, len(s.order))
	for _, name := range s.order {
		st := Stage{Name: name, Seconds: s.dur[name].Seconds(), Rows: s.rows[name]}
		if st.Rows > 0 && st.Seconds > 0 {
			st.RowsPerSec = float64(st.Rows) / st.Seconds
		}
		out = append(out, st)
	}
	return out
}
