-- 0003_counters: bucketed counters replace the sliding-window logs and the
-- attempt rows, and verify_code gates and moves failure counters.
--
-- The Service now builds every rate limit, lockout and budget on counters
-- (security.CounterStore) and decides the policy in Go, so allow,
-- begin_attempt, succeed_attempt and their tables go. Their state is not
-- carried over: a deploy of this migration forgets the throttles and
-- lockouts in flight (the new Service counts under new keys anyway).

DROP FUNCTION {{schema}}.allow(text, bigint, bigint[], int[]);
DROP FUNCTION {{schema}}.begin_attempt(text, bigint, int, bigint, int, bigint, int, boolean, bigint);
DROP FUNCTION {{schema}}.succeed_attempt(text, bigint, bigint);
DROP FUNCTION {{schema}}.verify_code(text, bytea, bigint, int);
DROP TABLE {{schema}}.rate_events;
DROP TABLE {{schema}}.attempts;
DROP SEQUENCE {{schema}}.attempt_ids;

-- One row per counter (key and bucket width) holding events: the 13
-- buckets a count at bucket head sums (security.CounterBuckets + 1).
-- buckets[i] is bucket head - i + 1, so buckets[1] is the newest; bucket
-- numbers are floor(UnixNano / width). expires_ns is when the newest
-- bucket holding events leaves the window ((bucket + 13) * width), after
-- which the counter counts zero at any later time and Cleanup may delete
-- it. A counter that counts nothing has no row.
CREATE TABLE {{schema}}.counters (
    key        text     NOT NULL,
    width      bigint   NOT NULL,
    head       bigint   NOT NULL,
    buckets    bigint[] NOT NULL,
    expires_ns bigint   NOT NULL,
    CONSTRAINT counters_pkey PRIMARY KEY (key, width)
);
CREATE INDEX counters_expires_idx ON {{schema}}.counters (expires_ns);

-- counter_lock takes, in ascending order, the transaction-scoped advisory
-- lock of each counter among p_keys/p_widths that a hit may change (p_move:
-- a non-zero Add or a Reset). Calls touching one counter take turns on it;
-- calls touching different counters never wait for each other (short of a
-- 64-bit hash collision, which only makes two counters take turns). The
-- ascending order keeps calls that lock several counters free of
-- deadlocks. An advisory lock needs no row, so a counter that does not
-- exist yet is locked without inserting anything.
CREATE FUNCTION {{schema}}.counter_lock(p_keys text[], p_widths bigint[], p_move boolean[])
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    l bigint;
BEGIN
    FOR l IN SELECT DISTINCT hashtextextended('{{schema_str}}.' || u.k, u.w)
               FROM unnest(p_keys, p_widths, p_move) AS u(k, w, m)
              WHERE u.m
              ORDER BY 1
    LOOP
        PERFORM pg_advisory_xact_lock(l);
    END LOOP;
END
$fn$;

-- counter_hit applies one hit to the counter (p_key, p_width) at bucket
-- p_bucket, exactly as security.Hit describes: Reset empties it, then Add
-- is added to the bucket (never below zero) unless p_max > 0 and the count
-- plus Add exceeds p_max, in which case nothing changes. Max counts every
-- event the row holds (held), the buckets ahead of p_bucket included (a
-- caller whose clock runs behind, or whose hit arrived second), so callers
-- out of order never get more past it than it allows. It returns the
-- count of buckets p_bucket - 12 .. p_bucket after the hit, whether it was
-- applied, the oldest of those buckets holding events (NULL when the count
-- is zero), and held (0 after a Reset). The caller holds the counter's lock (counter_lock) when
-- the hit may change it; a read writes nothing. The row is written whole
-- with an upsert, so a concurrent Cleanup deleting it cannot lose the hit.
CREATE FUNCTION {{schema}}.counter_hit(p_key text, p_width bigint, p_bucket bigint,
        p_add bigint, p_max bigint, p_reset boolean,
        OUT n bigint, OUT applied boolean, OUT oldest bigint, OUT held bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
    zero   CONSTANT bigint[] := array_fill(0::bigint, ARRAY[13]);
    h      bigint;
    b      bigint[];
    nb     bigint[];
    off    int;
    newest int;
BEGIN
    SELECT c.head, c.buckets INTO h, b
      FROM {{schema}}.counters c WHERE c.key = p_key AND c.width = p_width;
    IF NOT FOUND THEN
        h := p_bucket;
        b := zero;
    ELSIF p_bucket - h >= 13 THEN
        h := p_bucket;
        b := zero;
    ELSIF p_bucket > h THEN
        b := array_fill(0::bigint, ARRAY[(p_bucket - h)::int]) || b[1 : 13 - (p_bucket - h)::int];
        h := p_bucket;
    END IF;
    -- Bucket p_bucket is b[off + 1]: off is 0 unless a clock behind the
    -- newest hit (another replica's) counts; a bucket 13 or more behind
    -- the newest is no longer kept, and off stays 13.
    off := least(h - p_bucket, 13)::int;
    nb := CASE WHEN p_reset THEN zero ELSE b END;
    held := 0;
    FOR i IN 1 .. 13 LOOP
        held := held + nb[i];
    END LOOP;
    applied := p_max <= 0 OR held + p_add <= p_max;
    IF applied AND (p_add <> 0 OR p_reset) THEN
        IF off < 13 THEN
            nb[off + 1] := greatest(nb[off + 1] + p_add, 0);
        END IF;
        b := nb;
        newest := 0;
        FOR i IN REVERSE 13 .. 1 LOOP
            IF b[i] > 0 THEN
                newest := i;
            END IF;
        END LOOP;
        IF newest = 0 THEN
            DELETE FROM {{schema}}.counters WHERE key = p_key AND width = p_width;
        ELSE
            INSERT INTO {{schema}}.counters AS c (key, width, head, buckets, expires_ns)
            VALUES (p_key, p_width, h, b,
                    least((h - newest + 1 + 13)::numeric * p_width, 9223372036854775807)::bigint)
            ON CONFLICT (key, width) DO UPDATE
            SET head = EXCLUDED.head, buckets = EXCLUDED.buckets, expires_ns = EXCLUDED.expires_ns;
        END IF;
    END IF;
    n := 0;
    oldest := NULL;
    FOR i IN off + 1 .. 13 LOOP
        IF b[i] > 0 THEN
            n := n + b[i];
            oldest := h - i + 1;
        END IF;
    END LOOP;
END
$fn$;

-- count_hits applies a Count batch: hit i is (p_keys[i], p_widths[i]) at
-- bucket p_buckets[i] with p_adds[i], p_maxes[i] and p_resets[i], in
-- order. It first locks every counter the batch may change, in ascending
-- order, then applies the hits; the results are counter_hit's, in order.
CREATE FUNCTION {{schema}}.count_hits(p_keys text[], p_widths bigint[], p_buckets bigint[],
        p_adds bigint[], p_maxes bigint[], p_resets boolean[],
        OUT counts bigint[], OUT applied boolean[], OUT oldest bigint[])
LANGUAGE plpgsql AS $fn$
DECLARE
    r record;
BEGIN
    counts := '{}'; applied := '{}'; oldest := '{}';
    PERFORM {{schema}}.counter_lock(p_keys, p_widths,
        ARRAY(SELECT a <> 0 OR z FROM unnest(p_adds, p_resets) AS u(a, z)));
    FOR i IN 1 .. coalesce(cardinality(p_keys), 0) LOOP
        r := {{schema}}.counter_hit(p_keys[i], p_widths[i], p_buckets[i], p_adds[i], p_maxes[i], p_resets[i]);
        counts := counts || r.n;
        applied := applied || r.applied;
        oldest := oldest || r.oldest;
    END LOOP;
END
$fn$;

-- verify_code checks p_mac against the live code of p_scope at p_now,
-- gated by and moving the failure counters p_keys/p_widths/p_buckets/
-- p_adds/p_maxes (security.CodeCheck), all in one transaction:
--
--  1. It locks the code row, then the failure counters a wrong try moves
--     (ascending, as count_hits does). Concurrent checks of one scope take
--     turns on the code row; checks sharing a failure counter take turns on
--     its lock.
--  2. If any failure hit with a Max has no room (count + add > max) the
--     result is 4 (blocked) and nothing changes; the code is not looked at.
--  3. Otherwise the code is checked: 0 missing (none, or expired), 1
--     matched (consumed), 2 wrong (tries counted) or 3 voided (the wrong
--     try that reached p_max deleted it).
--  4. On 2 and 3 every failure hit's Add is applied with no Max check.
--
-- The counts are the failure counters after the call; applied is true only
-- where an Add was applied (step 4).
--
-- The MACs are compared through their SHA-256 digests: the time bytea
-- equality takes reveals how long a common prefix the digests have, which
-- says nothing about the stored MAC.
CREATE FUNCTION {{schema}}.verify_code(p_scope text, p_mac bytea, p_now bigint, p_max int,
        p_keys text[], p_widths bigint[], p_buckets bigint[], p_adds bigint[], p_maxes bigint[],
        OUT result int, OUT counts bigint[], OUT applied boolean[], OUT oldest bigint[])
LANGUAGE plpgsql AS $fn$
DECLARE
    c record;
    r record;
    n int := coalesce(cardinality(p_keys), 0);
BEGIN
    counts := '{}'; applied := '{}'; oldest := '{}';
    SELECT k.mac, k.expires_ns, k.tries INTO c
      FROM {{schema}}.codes k WHERE k.scope = p_scope FOR UPDATE;
    IF n > 0 THEN
        PERFORM {{schema}}.counter_lock(p_keys, p_widths, ARRAY(SELECT a <> 0 FROM unnest(p_adds) AS a));
    END IF;
    result := -1;
    FOR i IN 1 .. n LOOP
        r := {{schema}}.counter_hit(p_keys[i], p_widths[i], p_buckets[i], 0, 0, false);
        counts := counts || r.n;
        applied := applied || false;
        oldest := oldest || r.oldest;
        IF p_maxes[i] > 0 AND r.held + p_adds[i] > p_maxes[i] THEN
            result := 4;
        END IF;
    END LOOP;
    IF result = 4 THEN
        RETURN;
    END IF;
    IF c.expires_ns IS NULL OR c.expires_ns <= p_now THEN
        result := 0;
        RETURN;
    END IF;
    IF sha256(c.mac) = sha256(coalesce(p_mac, '')) THEN
        DELETE FROM {{schema}}.codes WHERE scope = p_scope;
        result := 1;
        RETURN;
    END IF;
    IF c.tries + 1 >= p_max THEN
        DELETE FROM {{schema}}.codes WHERE scope = p_scope;
        result := 3;
    ELSE
        UPDATE {{schema}}.codes SET tries = c.tries + 1 WHERE scope = p_scope;
        result := 2;
    END IF;
    FOR i IN 1 .. n LOOP
        r := {{schema}}.counter_hit(p_keys[i], p_widths[i], p_buckets[i], p_adds[i], 0, false);
        counts[i] := r.n;
        applied[i] := true;
        oldest[i] := r.oldest;
    END LOOP;
END
$fn$;
