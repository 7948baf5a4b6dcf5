package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/cxkpi/cxkpi/pipeline/clv"
	"github.com/cxkpi/cxkpi/pipeline/cohort"
	"github.com/cxkpi/cxkpi/pipeline/ingest"
	"github.com/cxkpi/cxkpi/pipeline/kpi"
	"github.com/cxkpi/cxkpi/reports"
)

// Model output files.
const (
	CohortFile = "cohort_retention.parquet"
	// BracketFile holds bracket retention; ChannelCohortFile the cohort
	// table by acquisition channel, written when Config.Cohorts.ByChannel.
	BracketFile       = "cohort_brackets.parquet"
	ChannelCohortFile = "cohort_channels.parquet"
	CustomerFile      = "customer_clv.parquet"
	ModelFitFile      = "model_fit.parquet"
)

// customerBatch is the number of rows of customer_clv.parquet built into
// one Arrow batch at a time.
const customerBatch = 1 << 16

// FitRow is one estimated parameter of a model, for model_fit.parquet.
type FitRow struct {
	Model     string  // "bgnbd", "mbgnbd", "pareto_nbd", "gamma_gamma", "sbg", "clv"
	Scope     string  // "all", or the cohort an sBG fit describes (its start, YYYY-MM-DD)
	Parameter string  // r, alpha, a, b (s, beta); aic, bic, chosen; p, q, gamma; alpha, beta
	Value     float64 // the estimate
	LogLik    float64 // the model's maximized log-likelihood; NaN (null) for a setting
	N         int64   // customers the fit covers
	// StdErr is the asymptotic standard error of a maximum-likelihood
	// estimate; NaN (null) where there is none (a setting, a criterion,
	// an sBG parameter, a singular information matrix).
	StdErr float64
}

// FitSchema is the schema of model_fit.parquet.
func FitSchema() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "model", Type: arrow.BinaryTypes.String},
		{Name: "scope", Type: arrow.BinaryTypes.String},
		{Name: "parameter", Type: arrow.BinaryTypes.String},
		{Name: "value", Type: arrow.PrimitiveTypes.Float64},
		{Name: "log_likelihood", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int64},
		{Name: "std_error", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
}

// models feeds the cohort and CLV models with the same batches as the
// KPIs, and writes their tables.
type models struct {
	orders   *cohort.Builder // acquisition by first order
	signups  *cohort.Builder // acquisition by signup, for the sBG projection
	clv      *clv.Summarizer // nil when the observation end is unknown
	settings clv.Settings
	// byChannel writes the cohort table by acquisition channel.
	byChannel bool
	currency  string    // ISO 4217 code of the amounts, for customer_clv.parquet
	asOf      time.Time // the run's as-of instant, the as_of column of every table
	// diagnostics are the chosen purchase model's, once fitted; nil when
	// it could not be checked.
	diagnostics *clv.Diagnostics
}

// intervalSeed seeds the draws of the CLV intervals: fixed, so that a
// rerun on the same orders writes the same intervals.
const intervalSeed = 0

// newModels prepares the models for a run whose observation ends with
// the day before end (a local midnight: the end of the as-of day or of
// the report period, see observationEnd). Large inputs spill orders into
// the directory spill; close removes them.
func newModels(cfg Config, end time.Time, spill string) (*models, error) {
	grain := cohort.Month
	if cfg.KPI.Grain == kpi.Day || cfg.KPI.Grain == kpi.Week {
		grain = cohort.Week
	}
	m := &models{settings: *cfg.CLV, currency: cfg.Currency, asOf: cfg.AsOf}
	var err error
	cc := cohort.Config{Basis: cohort.FirstOrder, Grain: grain, Location: cfg.KPI.Location, AsOf: end, SpillDir: spill,
		Brackets: cfg.Cohorts.Brackets}
	m.byChannel = cfg.Cohorts.ByChannel
	if m.orders, err = cohort.NewBuilder(cc); err != nil {
		return nil, err
	}
	cc.Basis = cohort.Signup
	if m.signups, err = cohort.NewBuilder(cc); err != nil {
		return nil, err
	}
	last := end.In(cfg.KPI.Location).Add(-time.Nanosecond)
	m.clv, err = clv.NewSummarizer(clv.Config{
		End:           time.Date(last.Year(), last.Month(), last.Day(), 0, 0, 0, 0, time.UTC),
		Unit:          clv.Weeks, // recency and age in weeks, as in the published models
		Location:      cfg.KPI.Location,
		AverageMargin: cfg.CLV.UncostedMargin,
		SpillDir:      spill,
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// close removes the files the models spilled.
func (m *models) close() error {
	return errors.Join(m.orders.Close(), m.signups.Close(), m.clv.Close())
}

func (m *models) add(t ingest.Table, rec arrow.Record) error {
	switch t {
	case ingest.Customers:
		return inParallel(
			func() error { return m.signups.Add(t, rec) },
			func() error { return m.orders.Add(t, rec) }, // acquisition channels
		)
	case ingest.Orders:
		return inParallel(
			func() error { return m.orders.Add(t, rec) },
			func() error { return m.signups.Add(t, rec) },
			func() error { return m.clv.Add(rec) },
		)
	}
	return nil
}

// modelResults is what the report shows of the models, and notes on the
// models that could not be fitted (too little data is not an error of the
// run).
type modelResults struct {
	cohorts []cohort.Row
	clv     []reports.CLVSegment
	atRisk  []reports.AtRiskCustomer
	basis   *reports.CLVBasis // nil when the CLV models were not fitted
	// diagnostics are the purchase model's checks for the report; nil
	// when there are none.
	diagnostics *reports.CLVDiagnostics
	notes       []string
}

// atRiskShown bounds the at-risk customers listed in the report.
const atRiskShown = 20

// write writes the model tables into dir.
func (m *models) write(ctx context.Context, dir string, mem memory.Allocator, hasOrders, hasCustomers bool) (modelResults, error) {
	var res modelResults
	var fits []FitRow
	res.cohorts = []cohort.Row{}
	var brackets []cohort.BracketRow
	var channels []cohort.Row
	if hasOrders {
		g, err := m.orders.Grid(ctx)
		if err != nil {
			return res, fmt.Errorf("cohorts: %w", err)
		}
		res.cohorts = g.Rows()
		brackets = g.BracketRows()
		if m.byChannel {
			cg, err := m.orders.ChannelGrid(ctx)
			if err != nil {
				return res, fmt.Errorf("cohorts by channel: %w", err)
			}
			channels = cg.Rows()
		}
	}
	// Each model's state is dropped once its results are made, so that the
	// next one has the memory.
	if err := m.orders.Close(); err != nil {
		return res, err
	}
	if err := m.writeTable(mem, filepath.Join(dir, CohortFile), cohort.Record(mem, res.cohorts)); err != nil {
		return res, err
	}
	if err := m.writeTable(mem, filepath.Join(dir, BracketFile), cohort.BracketRecord(mem, brackets)); err != nil {
		return res, err
	}
	if m.byChannel {
		if err := m.writeTable(mem, filepath.Join(dir, ChannelCohortFile), cohort.ChannelRecord(mem, channels)); err != nil {
			return res, err
		}
	}
	if hasCustomers {
		g, err := m.signups.Grid(ctx)
		if err != nil {
			return res, fmt.Errorf("signup cohorts: %w", err)
		}
		unfitted := map[error]int{} // cohorts without an sBG fit, by reason
		for i, c := range g.Cohorts {
			surv, err := g.Survivors(i)
			if err != nil {
				return res, err
			}
			fit, err := cohort.FitSBG(surv)
			if reason := sbgExpected(err); reason != nil {
				unfitted[reason]++ // too young, no churn: nothing to project from
				continue
			}
			if err != nil {
				return res, fmt.Errorf("sBG fit of the cohort of %s: %w", c.Start.In(g.Location).Format(time.DateOnly), err)
			}
			scope := c.Start.In(g.Location).Format("2006-01-02")
			for _, p := range []struct {
				name string
				v    float64
			}{{"alpha", fit.Alpha}, {"beta", fit.Beta}} {
				fits = append(fits, FitRow{"sbg", scope, p.name, p.v, fit.LogLik, fit.N, math.NaN()})
			}
		}
		for _, reason := range sbgReasons() {
			if n := unfitted[reason]; n > 0 {
				res.notes = append(res.notes, fmt.Sprintf("sbg: %d of %d signup cohorts not fitted: %v", n, len(g.Cohorts), reason))
			}
		}
	}
	if err := m.signups.Close(); err != nil {
		return res, err
	}
	p, modelFits, note, err := m.customers(ctx, hasOrders)
	if err != nil {
		return res, err
	}
	if note != "" {
		res.notes = append(res.notes, note)
	}
	fits = append(modelFits, fits...)
	if p == nil {
		if err := m.writeTable(mem, filepath.Join(dir, CustomerFile), emptyCustomers(mem)); err != nil {
			return res, err
		}
	} else {
		res.clv, res.atRisk = segments(p)
		ms := p.Summary.Margin
		res.basis = &reports.CLVBasis{
			HorizonMonths: m.settings.HorizonMonths, AnnualDiscountRate: m.settings.AnnualDiscountRate,
			UncostedMargin: ms.Uncosted, MarginDerived: ms.Derived, Orders: ms.Orders, UncostedOrders: ms.UncostedOrders,
			PurchaseModel: p.Model,
		}
		if iv := p.Intervals; iv != nil {
			res.basis.Intervals = &reports.CLVIntervals{
				Method: iv.Method, Level: iv.Level, Draws: iv.Draws, Seed: iv.Seed,
				TotalPurchases: reports.Interval(iv.TotalPurchases), TotalCLV: reports.Interval(iv.TotalCLV),
			}
		}
		for _, f := range modelFits {
			if f.Parameter == "bic" {
				res.basis.Models = append(res.basis.Models, reports.ModelScore{Name: f.Model, BIC: f.Value})
			}
		}
		// One row per customer: written a batch at a time.
		p.Currency = m.currency
		rr := newAsOfReader(mem, p.Records(mem, customerBatch), m.asOf)
		err := reports.WriteParquetUnique(filepath.Join(dir, CustomerFile), rr)
		rr.Release()
		if err != nil {
			return res, fmt.Errorf("write %s: %w", CustomerFile, err)
		}
	}
	if err := m.writeTable(mem, filepath.Join(dir, ModelFitFile), fitRecord(mem, fits)); err != nil {
		return res, err
	}
	if err := m.writeTable(mem, filepath.Join(dir, DiagnosticsFile), diagnosticsRecord(mem, m.diagnostics)); err != nil {
		return res, err
	}
	res.diagnostics = reportDiagnostics(m.diagnostics)
	return res, nil
}

// segments summarizes the predictions by CLV decile for the report, and
// lists the most valuable at-risk customers by the margin they brought.
func segments(p *clv.Predictions) ([]reports.CLVSegment, []reports.AtRiskCustomer) {
	decile, atRisk := p.Segments()
	segs := make([]reports.CLVSegment, 10)
	for i := range segs {
		segs[i].Label = fmt.Sprintf("D%d", i+1)
	}
	var risky []reports.AtRiskCustomer
	for i, d := range decile {
		s := &segs[d-1]
		s.Customers++
		s.TotalCLV += p.CLV[i]
		if atRisk[i] {
			risky = append(risky, reports.AtRiskCustomer{ID: p.Summary.Customers[i], CLV: p.Historical[i], PAlive: p.PAlive[i]})
		}
	}
	for i := range segs {
		if segs[i].Customers > 0 {
			segs[i].MeanCLV = segs[i].TotalCLV / float64(segs[i].Customers)
		}
	}
	sort.SliceStable(risky, func(i, j int) bool { return risky[i].CLV > risky[j].CLV })
	return segs, risky[:min(len(risky), atRiskShown)]
}

// emptyCustomers is the per-customer table without rows.
func emptyCustomers(mem memory.Allocator) arrow.Record {
	p := &clv.Predictions{Summary: &clv.Summary{}}
	b := array.NewRecordBuilder(mem, p.Schema())
	defer b.Release()
	return b.NewRecord()
}

// customers fits the purchase models (BG/NBD, MBG/NBD, Pareto/NBD) and
// Gamma-Gamma, and predicts every customer with the purchase model of
// lowest BIC (clv.Choose). When no purchase model can be fitted (no
// repeat buyers, too few customers) the predictions are nil and note says
// why; note also names the purchase models that could not be fitted
// beside the chosen one.
func (m *models) customers(ctx context.Context, hasOrders bool) (*clv.Predictions, []FitRow, string, error) {
	if !hasOrders {
		return nil, nil, "", nil
	}
	s, err := m.clv.Summary()
	if errors.Is(err, clv.ErrNoData) {
		return nil, nil, "clv: no orders in the observation window", nil
	}
	if clvExpected(err) {
		return nil, nil, fmt.Sprintf("clv: no summary: %v", err), nil
	}
	if err != nil {
		return nil, nil, "", fmt.Errorf("clv: %w", err)
	}
	cands, err := clv.FitCustomers(ctx, s, m.settings.PurchaseModels...)
	if clvExpected(err) {
		return nil, nil, err.Error(), nil
	}
	if err != nil {
		return nil, nil, "", fmt.Errorf("clv: customer models: %w", err)
	}
	chosen, err := clv.Choose(cands, clv.ByBIC)
	if err != nil {
		return nil, nil, "", fmt.Errorf("clv: %w", err)
	}
	var notes []string
	// The diagnostics refit the chosen model on a calibration period of
	// the same orders; then the orders can go.
	diag, note, err := m.diagnose(ctx, s, chosen)
	if err != nil {
		return nil, nil, "", err
	}
	if note != "" {
		notes = append(notes, note)
	}
	m.diagnostics = diag
	if err := m.clv.Close(); err != nil {
		return nil, nil, "", err
	}
	var fits []FitRow
	for _, c := range cands {
		if c.Err != nil {
			notes = append(notes, fmt.Sprintf("clv: %s not fitted: %v", c.Name, c.Err))
			continue
		}
		ll, n := c.Fit.LogLikelihood, int64(c.Fit.N)
		for i, p := range c.Params() {
			fits = append(fits, FitRow{c.Name, "all", p.Name, p.Value, ll, n, stdErr(c.Fit, i)})
		}
		isChosen := 0.0
		if c.Name == chosen.Name {
			isChosen = 1
		}
		fits = append(fits,
			FitRow{c.Name, "all", "aic", c.AIC, ll, n, math.NaN()},
			FitRow{c.Name, "all", "bic", c.BIC, ll, n, math.NaN()},
			FitRow{c.Name, "all", "chosen", isChosen, ll, n, math.NaN()},
		)
	}
	gg, ggFit, err := clv.FitGammaGamma(ctx, s)
	if clvExpected(err) {
		return nil, nil, fmt.Sprintf("clv: Gamma-Gamma not fitted: %v", err), nil
	}
	if err != nil {
		return nil, nil, "", fmt.Errorf("clv: Gamma-Gamma: %w", err)
	}
	p, err := clv.Predict(ctx, s, chosen.Model, gg, clv.ValueConfig{Months: m.settings.HorizonMonths, AnnualDiscountRate: m.settings.AnnualDiscountRate})
	if clvExpected(err) {
		return nil, nil, fmt.Sprintf("clv: no predictions: %v", err), nil
	}
	if err != nil {
		return nil, nil, "", fmt.Errorf("clv: predict: %w", err)
	}
	ic := clv.IntervalConfig{Method: m.settings.IntervalMethod, Level: m.settings.IntervalLevel, Draws: m.settings.IntervalDraws, Seed: intervalSeed}
	if err := p.AddIntervals(ctx, chosen.Model, chosen.Fit, gg, ggFit, ic); err != nil {
		if ctx.Err() != nil {
			return nil, nil, "", err
		}
		// The estimates stand without their intervals.
		notes = append(notes, fmt.Sprintf("clv: no intervals: %v", err))
	}
	fits = append(fits, []FitRow{
		{"gamma_gamma", "all", "p", gg.P, ggFit.LogLikelihood, int64(ggFit.N), stdErr(ggFit, 0)},
		{"gamma_gamma", "all", "q", gg.Q, ggFit.LogLikelihood, int64(ggFit.N), stdErr(ggFit, 1)},
		{"gamma_gamma", "all", "gamma", gg.Gamma, ggFit.LogLikelihood, int64(ggFit.N), stdErr(ggFit, 2)},
		// The settings the values rest on, which are not estimated.
		{"clv", "all", "uncosted_margin", s.Margin.Uncosted, math.NaN(), s.Margin.UncostedOrders, math.NaN()},
		{"clv", "all", "horizon_months", float64(m.settings.HorizonMonths), math.NaN(), int64(s.Len()), math.NaN()},
		{"clv", "all", "annual_discount_rate", m.settings.AnnualDiscountRate, math.NaN(), int64(s.Len()), math.NaN()},
	}...)
	fits = append(fits, intervalRows(p.Intervals, int64(s.Len()))...)
	return p, fits, strings.Join(notes, "; "), nil
}

// sbgReasons are the reasons an sBG fit is expected to fail on real
// data, in the order the notes name them: a cohort too young to have two
// observed periods, one whose customers all stayed, or one whose churn
// has no interior maximum-likelihood estimate.
func sbgReasons() []error {
	return []error{cohort.ErrTooFewPeriods, cohort.ErrNoChurn, cohort.ErrNoFit, cohort.ErrEmptyCohort}
}

// sbgExpected returns the reason of sbgReasons that err matches, or nil.
func sbgExpected(err error) error {
	for _, r := range sbgReasons() {
		if errors.Is(err, r) {
			return r
		}
	}
	return nil
}

// clvExpected reports whether err is a reason the CLV models cannot be
// fitted to the data (no repeat buyers, no convergence, an infinite mean
// spend, no cost to take a margin from), rather than a failure of the run.
func clvExpected(err error) bool {
	for _, r := range []error{clv.ErrNoData, clv.ErrNoRepeat, clv.ErrNoConvergence, clv.ErrInfiniteMean, clv.ErrNoCost} {
		if errors.Is(err, r) {
			return true
		}
	}
	return false
}

func fitRecord(mem memory.Allocator, rows []FitRow) arrow.Record {
	b := array.NewRecordBuilder(mem, FitSchema())
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.StringBuilder).Append(r.Model)
		b.Field(1).(*array.StringBuilder).Append(r.Scope)
		b.Field(2).(*array.StringBuilder).Append(r.Parameter)
		b.Field(3).(*array.Float64Builder).Append(r.Value)
		if math.IsNaN(r.LogLik) {
			b.Field(4).AppendNull() // a setting, not an estimate
		} else {
			b.Field(4).(*array.Float64Builder).Append(r.LogLik)
		}
		b.Field(5).(*array.Int64Builder).Append(r.N)
		if math.IsNaN(r.StdErr) {
			b.Field(6).AppendNull()
		} else {
			b.Field(6).(*array.Float64Builder).Append(r.StdErr)
		}
	}
	return b.NewRecord()
}

// stdErr is the standard error of parameter i of a fit, NaN when the fit
// has none.
func stdErr(rep clv.FitReport, i int) float64 {
	if i < len(rep.StdErr) {
		return rep.StdErr[i]
	}
	return math.NaN()
}

// writeTable writes rec, with its as_of column, as a Parquet file and
// releases it.
func (m *models) writeTable(mem memory.Allocator, path string, rec arrow.Record) error {
	return writeRecord(path, withAsOf(mem, rec, m.asOf))
}

// writeRecord writes rec as a Parquet file and releases it.
func writeRecord(path string, rec arrow.Record) error {
	defer rec.Release()
	if err := reports.WriteParquetRecord(path, rec); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}
