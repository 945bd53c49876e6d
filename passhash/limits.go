package passhash

// Ceilings on the cost of a stored hash. A hash above them is refused, on
// Import and on Verify, without being run: a tampered or corrupted record
// must not hold a CPU for seconds or allocate gigabytes. Each ceiling sits
// well above the defaults of the systems that write the format, at about one
// second of work on one core (measured with BenchmarkVerify on an AMD EPYC),
// below the core's own argon2id ceiling.
const (
	// MaxBcryptCost: every framework default is 10 to 12 (PHP and Spring
	// 10, Rails and Laravel 12); 14 leaves two doublings of headroom and
	// costs about one second. 16 would cost four.
	MaxBcryptCost = 14
	// MaxPBKDF2Iterations applies to PBKDF2 with SHA-1 and SHA-256:
	// Django 5.2 writes 1,000,000 and 6.0 1,200,000 (SHA-256), Werkzeug
	// 3.0 600,000, Spring 5.8 310,000.
	MaxPBKDF2Iterations = 3_000_000
	// MaxPBKDF2SHA512Iterations applies to PBKDF2 with SHA-512, whose
	// iterations cost about four times as much here (passlib writes
	// 25,000).
	MaxPBKDF2SHA512Iterations = 1_000_000
	// MaxScryptMemory bounds 128·N·r, the bytes scrypt allocates.
	MaxScryptMemory = 256 << 20
	// MaxScryptWork bounds N·r·p, which its time is proportional to
	// (passlib writes N=2^16, r=8, p=1: 2^19; Werkzeug N=2^15, r=8, p=1):
	// 2^21 is about 1.4 seconds.
	MaxScryptWork = 1 << 21
	// MaxShaCryptRounds: glibc writes 5,000, passlib 535,000 (SHA-256) and
	// 656,000 (SHA-512).
	MaxShaCryptRounds = 1_000_000
	// MaxArgon2Memory (KiB), MaxArgon2Time and MaxArgon2Threads are the
	// core's argon2id ceilings, applied to argon2i and argon2id alike.
	MaxArgon2Memory  = 256 * 1024
	MaxArgon2Time    = 10
	MaxArgon2Threads = 16
	// MaxPasswordBytes is the longest password Verify runs a hash on, as in
	// the core; a longer one does not match. SHA-crypt's work grows with the
	// square of the password's length, so it must be bounded.
	MaxPasswordBytes = 1024
)
