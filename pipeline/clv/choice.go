package clv

// Param is one named parameter of a fitted model.
type Param struct {
	Name  string
	Value float64
}
