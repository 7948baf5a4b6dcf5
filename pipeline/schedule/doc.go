// Package schedule runs the cxkpi job unattended: once from cron or a
// systemd timer, continuously on a cron schedule, or over a range of past
// periods.
//
// A run is a [Job] called with an as-of time; the caller runs the pipeline for
// the report period containing it. Three things keep unattended runs safe:
//
//   - The run lock ([Acquire], [Locker]) is a file, <dir>/.cxkpi.lock, created
//     atomically and holding the holder's pid, host and start time. Only one
//     process runs the job at a time; a lock left by a process that died is
//     detected and taken over.
//   - The state file ([State], [ReadState]) records the last successful run
//     and the last error, so a restarted scheduler can catch up on a missed
//     night and an operator or monitor can see what happened.
//   - [Run] drives a cron schedule with gocron in singleton mode: runs never
//     overlap, a failing run is logged and recorded and the schedule goes on,
//     and cancelling the context stops scheduling, cancels the run in
//     progress and waits for it to return.
//
// [Backfill] runs the job once per period over a date range, in order,
// stopping at the first failure.
package schedule
