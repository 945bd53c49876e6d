// Command acctsec-import loads members from another system into acctsec's
// PostgreSQL store (pgstore), keeping their passwords: each row's password
// hash (bcrypt, PBKDF2, crypt(3), salted MD5, ...) is checked and stored,
// and replaced by argon2id at the member's first successful login.
//
//	acctsec-import [flags] FILE          (FILE.jsonl, FILE.ndjson or FILE.csv)
//	acctsec-import -format jsonl [flags] - < members.jsonl
//
// The input format (JSON Lines, or CSV with a header row; the columns are
// described in package importer) is told by the file's extension or by
// -format. The database is -postgres or $ACCTSEC_POSTGRES_URL; the schema
// is migrated first. Rows are stored -batch at a time, each batch in one
// transaction (pgstore's ImportAccounts: COPY, then INSERT ... ON CONFLICT
// DO NOTHING).
//
// A refused row does not stop the run: it is reported with its line
// number, userId and a reason (bad_hash, bad_phone, bad_email,
// duplicate_user, phone_taken, email_taken, malformed_line, ...) on
// stderr, or as JSON Lines in -report FILE. Reports never hold a hash, a
// salt or a full phone number or address. The summary goes to stdout. On
// a terminal, stderr shows progress.
//
// Re-running a file is safe: members whose userId is already stored are
// counted as already present and left as they are (never overwritten), the
// rest are imported. After a failure the command prints the -resume-from
// line to carry on from without preparing the lines before it again.
//
// Cheap legacy digests (salted MD5, SHA-1, ...) are wrapped in argon2id at
// import unless -keep-cheap-hashes is given: the wrapping costs one
// argon2id hash per such row (spread over all cores), and keeping them
// leaves them as cheap to crack in the database as they were in the old
// one until each member's next login. Self-describing slow hashes
// (bcrypt, PBKDF2, scrypt, argon2) are stored as they are either way.
//
// -dry-run reads, checks and prepares every row and reports as a real run
// would, without connecting to the database: rows whose userId, phone or
// email are already stored are not found.
//
// Phones without a country code are read in -region (default CN); only
// the calling codes of -calling-codes (default: the region's) are
// accepted: use the same values as the Service that will serve these
// members. createdAt values like MySQL's "2019-03-01 08:00:00" are read in
// -tz (default Asia/Shanghai).
//
// The importer needs a security.Service only for PrepareAccount, which
// neither reads nor writes a store and stores no MAC: its Secret is drawn
// at random at each run, and its store is an in-memory one that nothing
// uses (security.New requires one). Nothing stored depends on that secret:
// imported pay-password hashes are peppered with the serving Service's
// secret at their first check.
//
// Exit status: 0 when every row was imported or already present, 3 when
// the run finished but refused some rows, 1 on a failure, 2 on bad flags.
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/acctsec/security"
	"github.com/acctsec/security/importer"
	"github.com/acctsec/security/memstore"
	"github.com/acctsec/security/pgstore"
	"github.com/jackc/pgx/v5/pgxpool"
)

// exitRefused is the status of a finished run that refused rows.
const exitRefused = 3

// errRefused ends a finished run that refused rows.
var errRefused = errors.New("some rows were refused")

// errUsage is a flag error already reported.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, isTerminal(os.Stderr))
	stop()
	switch {
	case err == nil:
	case errors.Is(err, errRefused):
		os.Exit(exitRefused)
	case errors.Is(err, errUsage), errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "acctsec-import:", err)
		os.Exit(1)
	}
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// config is the command line.
type config struct {
	input, format, postgres, schema, region, callingCodes, tz, report string
	batch, workers, resumeFrom                                        int
	dryRun, keepCheap                                                 bool
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("acctsec-import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: acctsec-import [flags] FILE|-")
		fs.PrintDefaults()
	}
	fs.StringVar(&c.format, "format", "", "jsonl or csv (default: from FILE's extension; required for -)")
	fs.StringVar(&c.postgres, "postgres", "", "PostgreSQL URL (default $ACCTSEC_POSTGRES_URL)")
	fs.StringVar(&c.schema, "schema", pgstore.DefaultSchema, "PostgreSQL schema of the store")
	fs.IntVar(&c.batch, "batch", importer.DefaultBatchSize, "rows per transaction")
	fs.IntVar(&c.workers, "workers", 0, "rows prepared at once (default GOMAXPROCS)")
	fs.BoolVar(&c.dryRun, "dry-run", false, "read, check and prepare every row, write nothing, connect to nothing")
	fs.BoolVar(&c.keepCheap, "keep-cheap-hashes", false, "store cheap digests (salted MD5, ...) as they are instead of wrapping them in argon2id: faster, but crackable until each member's next login")
	fs.StringVar(&c.region, "region", "CN", "region of phone numbers without a country code")
	fs.StringVar(&c.callingCodes, "calling-codes", "", "accepted calling codes, comma-separated (default: -region's)")
	fs.StringVar(&c.tz, "tz", "Asia/Shanghai", "time zone of createdAt values without one (MySQL DATETIME)")
	fs.StringVar(&c.report, "report", "", "write refused rows to this file as JSON Lines (default: text on stderr)")
	fs.IntVar(&c.resumeFrom, "resume-from", 0, "skip the rows before this line (printed after a failure)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return c, errUsage
	}
	c.input = fs.Arg(0)
	if c.postgres == "" {
		c.postgres = os.Getenv("ACCTSEC_POSTGRES_URL")
	}
	if c.postgres == "" && !c.dryRun {
		fmt.Fprintln(stderr, "acctsec-import: -postgres or $ACCTSEC_POSTGRES_URL is required (or -dry-run)")
		return c, errUsage
	}
	return c, nil
}

// run is the command; progress is drawn on stderr when it is a terminal.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, progress bool) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	opt := importer.Options{
		BatchSize: c.batch, Workers: c.workers, DryRun: c.dryRun,
		KeepCheapHashes: c.keepCheap, ResumeFrom: c.resumeFrom,
	}
	if c.format != "" {
		opt.Format, err = importer.ParseFormat(c.format)
	} else if c.input == "-" {
		err = errors.New("-format is required when reading stdin")
	} else {
		opt.Format, err = importer.FormatOf(c.input)
	}
	if err != nil {
		return err
	}
	if opt.Location, err = time.LoadLocation(c.tz); err != nil {
		if c.tz != "Asia/Shanghai" {
			return fmt.Errorf("-tz: %w", err)
		}
		opt.Location = importer.DefaultLocation() // no zone database: UTC+8
	}

	in := stdin
	if c.input != "-" {
		f, err := os.Open(c.input)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}

	svc, closeSvc, err := newService(c)
	if err != nil {
		return err
	}
	defer closeSvc()

	var sink importer.Sink
	if !c.dryRun {
		pool, err := pgxpool.New(ctx, c.postgres)
		if err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
		defer pool.Close()
		st, err := pgstore.New(pool, pgstore.Config{Schema: c.schema})
		if err != nil {
			return err
		}
		if err := st.Migrate(ctx); err != nil {
			return err
		}
		sink = importer.SinkFunc(st.ImportAccounts)
	}

	var reportErr error
	if c.report != "" {
		f, err := os.OpenFile(c.report, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		enc := json.NewEncoder(f)
		opt.Report = func(r importer.Refusal) {
			if err := enc.Encode(r); err != nil && reportErr == nil {
				reportErr = err
			}
		}
	} else {
		opt.Report = func(r importer.Refusal) { fmt.Fprintln(stderr, r.String()) }
	}
	p := &progressLine{w: stderr, on: progress, start: time.Now()}
	opt.Progress = p.draw
	if c.report == "" {
		inner := opt.Report
		opt.Report = func(r importer.Refusal) { p.clear(); inner(r) }
	}

	sum, runErr := importer.Run(ctx, svc, in, sink, opt)
	p.clear()
	_, _ = sum.WriteTo(stdout)
	if runErr != nil {
		if sum.Done > 0 || c.resumeFrom > 0 {
			fmt.Fprintf(stderr, "acctsec-import: stopped; every line up to %d is done: rerun with -resume-from %d (or rerun the whole file: stored rows count as already present)\n",
				max(sum.Done, c.resumeFrom-1), max(sum.Done, c.resumeFrom-1)+1)
		}
		return runErr
	}
	if reportErr != nil {
		return fmt.Errorf("-report: %w", reportErr)
	}
	if sum.RefusedTotal() > 0 {
		return errRefused
	}
	return nil
}

// newService builds the Service whose PrepareAccount the import uses; see
// the package comment for why its secret and store do not matter.
func newService(c config) (*security.Service, func(), error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, nil, err
	}
	var codes []string
	if c.callingCodes != "" {
		for _, cc := range strings.Split(c.callingCodes, ",") {
			codes = append(codes, strings.TrimPrefix(strings.TrimSpace(cc), "+"))
		}
	}
	unused := memstore.New()
	svc, err := security.New(unused, security.NotifierFunc(func(context.Context, security.Message) error {
		return errors.New("acctsec-import sends nothing")
	}), security.Config{Secret: secret, DefaultRegion: c.region, AllowedCallingCodes: codes})
	if err != nil {
		unused.Close()
		return nil, nil, err
	}
	return svc, func() {
		_ = svc.Close(context.Background())
		unused.Close()
	}, nil
}

// progressLine redraws one status line on a terminal after every batch.
type progressLine struct {
	w     io.Writer
	on    bool
	start time.Time
	drawn bool
}

func (p *progressLine) draw(s importer.Summary) {
	if !p.on {
		return
	}
	el := time.Since(p.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(s.Read-s.Skipped) / el
	}
	fmt.Fprintf(p.w, "\r\x1b[K%d read (line %d), %d imported, %d already present, %d refused, %.0f rows/s",
		s.Read, s.Done, s.Imported, s.AlreadyPresent, s.RefusedTotal(), rate)
	p.drawn = true
}

func (p *progressLine) clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}
