package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"time"
)

// outcome is how one request ended.
type outcome int

const (
	outcomeOK        outcome = iota // the expected success code
	outcomeThrottled                // "429": a throttle refused, as expected from one host
	outcomeError                    // any other envelope code, or no envelope
	outcomeCancelled                // the run ended while the request was in flight
)

// stepStats are the results of one kind of request (or flow).
type stepStats struct {
	ok, throttled, failed, cancelled int
	// latencies of every completed request, whatever its code.
	latencies []time.Duration
}

// recorder collects results from every client. It is safe for concurrent
// use.
type recorder struct {
	mu     sync.Mutex
	steps  map[string]*stepStats
	flows  map[string]*stepStats
	errors map[string]int // "step code/data" -> count
	total  stepStats
	limit  int // requests allowed; record reports false once reached
}

func newRecorder(limit int) *recorder {
	return &recorder{steps: map[string]*stepStats{}, flows: map[string]*stepStats{}, errors: map[string]int{}, limit: limit}
}

func (r *recorder) get(m map[string]*stepStats, name string) *stepStats {
	s := m[name]
	if s == nil {
		s = &stepStats{}
		m[name] = s
	}
	return s
}

func (s *stepStats) add(o outcome, d time.Duration) {
	switch o {
	case outcomeOK:
		s.ok++
	case outcomeThrottled:
		s.throttled++
	case outcomeError:
		s.failed++
	case outcomeCancelled:
		s.cancelled++
		return
	}
	s.latencies = append(s.latencies, d)
}

// request records one request of step. errKey names the failure
// ("403/wrong_password", "transport") when o is outcomeError.
func (r *recorder) request(step string, o outcome, d time.Duration, errKey string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.get(r.steps, step).add(o, d)
	r.total.add(o, d)
	if o == outcomeError {
		r.errors[step+" "+errKey]++
	}
}

// flow records one whole flow.
func (r *recorder) flow(name string, o outcome, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.get(r.flows, name).add(o, d)
}

// take reserves one request of the run's budget; false once spent.
func (r *recorder) take() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.limit <= 0 {
		return false
	}
	r.limit--
	return true
}

// percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// the sorted ds, or 0 when ds is empty.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted)) + 0.999999999)
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// summary is the printable digest of one stepStats.
type summary struct {
	Name                         string
	Count, OK, Throttled, Errors int
	Cancelled                    int
	P50, P95, P99, Max           time.Duration
}

func summarize(name string, s *stepStats) summary {
	l := slices.Clone(s.latencies)
	slices.Sort(l)
	sm := summary{Name: name, Count: s.ok + s.throttled + s.failed, OK: s.ok, Throttled: s.throttled, Errors: s.failed, Cancelled: s.cancelled,
		P50: percentile(l, 50), P95: percentile(l, 95), P99: percentile(l, 99)}
	if len(l) > 0 {
		sm.Max = l[len(l)-1]
	}
	return sm
}

// report is the result of a run.
type report struct {
	Elapsed   time.Duration
	Clients   int
	Overall   summary
	Steps     []summary
	Flows     []summary
	Errors    map[string]int
	PeakRSSKB int64 // the server's VmHWM; 0 when unknown
}

func (r *recorder) report(elapsed time.Duration, clients int) *report {
	r.mu.Lock()
	defer r.mu.Unlock()
	rep := &report{Elapsed: elapsed, Clients: clients, Overall: summarize("all requests", &r.total), Errors: map[string]int{}}
	for _, name := range sortedKeys(r.steps) {
		rep.Steps = append(rep.Steps, summarize(name, r.steps[name]))
	}
	for _, name := range sortedKeys(r.flows) {
		rep.Flows = append(rep.Flows, summarize(name, r.flows[name]))
	}
	for k, v := range r.errors {
		rep.Errors[k] = v
	}
	return rep
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }

// print writes rep as plain-text tables.
func (rep *report) print(w io.Writer) {
	secs := rep.Elapsed.Seconds()
	fmt.Fprintf(w, "duration %.1fs, %d clients, %d requests (%.1f/s): %d ok, %d throttled (429), %d errors, %d cancelled at the end\n",
		secs, rep.Clients, rep.Overall.Count, float64(rep.Overall.Count)/secs, rep.Overall.OK, rep.Overall.Throttled, rep.Overall.Errors, rep.Overall.Cancelled)
	table := func(title string, rows []summary) {
		fmt.Fprintf(w, "\n%-22s %7s %8s %7s %7s %6s %8s %8s %8s %8s\n", title, "count", "per s", "ok", "429", "err", "p50 ms", "p95 ms", "p99 ms", "max ms")
		for _, s := range rows {
			fmt.Fprintf(w, "%-22s %7d %8.1f %7d %7d %6d %8s %8s %8s %8s\n", s.Name, s.Count, float64(s.Count)/secs, s.OK, s.Throttled, s.Errors,
				ms(s.P50), ms(s.P95), ms(s.P99), ms(s.Max))
		}
	}
	table("flow", rep.Flows)
	table("request", append(rep.Steps, rep.Overall))
	if len(rep.Errors) > 0 {
		fmt.Fprintf(w, "\nerrors by step and envelope code/data:\n")
		for _, k := range sortedKeys(rep.Errors) {
			fmt.Fprintf(w, "  %-50s %d\n", k, rep.Errors[k])
		}
	}
	if rep.PeakRSSKB > 0 {
		fmt.Fprintf(w, "\nserver peak RSS (VmHWM): %.1f MiB\n", float64(rep.PeakRSSKB)/1024)
	} else {
		fmt.Fprintf(w, "\nserver peak RSS: unknown (use -spawn, or -server-pid on this machine)\n")
	}
}
