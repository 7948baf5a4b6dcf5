// Package faults is the fault-injection suite of cxkpi. It holds no code,
// only tests, built with the tag faults (go test -tags faults
// ./pipeline/faults, run by .ci/run): they build the cxkpi binary with the
// same tag, whose fault points kill the process with SIGKILL at a point
// named by the environment, and run it as a subprocess over generated
// exports, with an earlier good run's period directory in place.
//
// Each case — a kill at every stage boundary and publishing step, a full
// disk, damaged or hostile input — must end one of two ways: the run
// completes with every row accounted for (read = accepted + rejected for
// every table, and read equals the rows the test wrote), or it exits
// non-zero and the previous outputs are byte for byte as they were. Then a
// normal run over clean exports succeeds, gives the same data files as
// the first good run and leaves no leftovers.
package faults
