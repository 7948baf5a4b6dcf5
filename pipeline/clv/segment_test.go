package clv

import (
	"reflect"
	"testing"
)

func TestSegments(t *testing.T) {
	// 10 customers: CLV 10..1, so decile i+1 for customer i. Historical
	// value is highest for customers 7, 8 and 9 (the top 30 %); of those,
	// 8 and 9 are probably gone.
	p := &Predictions{
		CLV:        []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1},
		Historical: []float64{1, 1, 1, 1, 1, 1, 1, 50, 40, 30},
		PAlive:     []float64{0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.2, 0.49},
	}
	decile, atRisk := p.Segments()
	if want := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}; !reflect.DeepEqual(decile, want) {
		t.Errorf("deciles = %v, want %v", decile, want)
	}
	want := []bool{false, false, false, false, false, false, false, false, true, true}
	if !reflect.DeepEqual(atRisk, want) {
		t.Errorf("at risk = %v, want %v", atRisk, want)
	}
	// Fewer customers than deciles: still 1..10 by rank, never 0.
	p = &Predictions{CLV: []float64{1, 3}, Historical: []float64{0, 0}, PAlive: []float64{1, 1}}
	if d, _ := p.Segments(); !reflect.DeepEqual(d, []int64{6, 1}) {
		t.Errorf("deciles of 2 = %v, want [6 1]", d)
	}
}
