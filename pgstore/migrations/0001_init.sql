-- 0001_init: accounts, codes, tickets, rate-limit logs and attempt counters.
--
-- {{schema}} is replaced by the quoted schema name and {{schema_str}} by the
-- same text escaped for use inside a string literal. Times of short-lived
-- state are bigint Unix nanoseconds passed in by the caller: no function
-- here reads the database clock.

CREATE TABLE {{schema}}.accounts (
    user_id             text        NOT NULL,
    password_hash       text        NOT NULL DEFAULT '',
    password_changed_at timestamptz,
    phone               text        NOT NULL DEFAULT '',
    email               text        NOT NULL DEFAULT '',
    email_verified      boolean     NOT NULL DEFAULT false,
    pay_password_hash   text        NOT NULL DEFAULT '',
    pay_password_set_at timestamptz,
    created_at          timestamptz,
    updated_at          timestamptz,
    version             bigint      NOT NULL,
    CONSTRAINT accounts_pkey PRIMARY KEY (user_id)
);

-- A bound phone or email belongs to one account at most. The store maps a
-- violation of these indexes (by name) to ErrPhoneTaken and ErrEmailTaken.
CREATE UNIQUE INDEX accounts_phone_key ON {{schema}}.accounts (phone) WHERE phone <> '';
CREATE UNIQUE INDEX accounts_email_key ON {{schema}}.accounts (lower(email)) WHERE email <> '';

CREATE TABLE {{schema}}.codes (
    scope      text   NOT NULL,
    mac        bytea  NOT NULL,
    expires_ns bigint NOT NULL,
    tries      int    NOT NULL DEFAULT 0,
    CONSTRAINT codes_pkey PRIMARY KEY (scope)
);
CREATE INDEX codes_expires_idx ON {{schema}}.codes (expires_ns);

CREATE TABLE {{schema}}.tickets (
    id          text    NOT NULL,
    scope       text    NOT NULL DEFAULT '',
    user_id     text    NOT NULL DEFAULT '',
    destination text    NOT NULL DEFAULT '',
    verified    boolean NOT NULL DEFAULT false,
    expires_ns  bigint  NOT NULL,
    CONSTRAINT tickets_pkey PRIMARY KEY (id)
);
CREATE UNIQUE INDEX tickets_scope_key ON {{schema}}.tickets (scope) WHERE scope <> '';
CREATE INDEX tickets_expires_idx ON {{schema}}.tickets (expires_ns);

-- One sliding-window log per rate-limit key: the sorted event times still
-- inside the longest window, at most as many as the largest window counts.
CREATE TABLE {{schema}}.rate_events (
    key        text     NOT NULL,
    events     bigint[] NOT NULL,
    expires_ns bigint   NOT NULL,
    CONSTRAINT rate_events_pkey PRIMARY KEY (key)
);
CREATE INDEX rate_events_expires_idx ON {{schema}}.rate_events (expires_ns);

-- One row per attempt key. fail_ids and fail_ns (parallel arrays, sorted by
-- time) hold the reserved attempts still inside the policy window; window_ns,
-- window_max and until_clear remember the window rule of the last
-- reservation so that SucceedAttempt can recompute the lock. expires_ns is
-- when Cleanup may delete the row, NULL while it is locked until
-- ClearAttempts.
CREATE TABLE {{schema}}.attempts (
    key             text     NOT NULL,
    consecutive     int      NOT NULL DEFAULT 0,
    fail_ids        bigint[] NOT NULL DEFAULT '{}',
    fail_ns         bigint[] NOT NULL DEFAULT '{}',
    locked_until_ns bigint   NOT NULL DEFAULT 0,
    forever         boolean  NOT NULL DEFAULT false,
    window_ns       bigint   NOT NULL DEFAULT 0,
    window_max      int      NOT NULL DEFAULT 0,
    until_clear     boolean  NOT NULL DEFAULT false,
    expires_ns      bigint,
    CONSTRAINT attempts_pkey PRIMARY KEY (key)
);
CREATE INDEX attempts_expires_idx ON {{schema}}.attempts (expires_ns) WHERE expires_ns IS NOT NULL;

CREATE SEQUENCE {{schema}}.attempt_ids;

-- verify_code checks p_mac against the live code of p_scope at p_now and, in
-- the same step, consumes it on a match or counts the wrong try, deleting the
-- code when the count reaches p_max. The row lock (FOR UPDATE) serialises
-- concurrent callers: of many with the right MAC exactly one sees the row.
-- Result: 0 missing, 1 matched, 2 wrong, 3 voided (security.CodeResult).
--
-- The MACs are HMAC-SHA-256 outputs keyed by a secret the caller of the
-- library never sees, so the timing of bytea equality reveals nothing an
-- attacker can use.
CREATE FUNCTION {{schema}}.verify_code(p_scope text, p_mac bytea, p_now bigint, p_max int)
RETURNS int LANGUAGE plpgsql AS $fn$
DECLARE
    r record;
BEGIN
    SELECT c.mac, c.expires_ns, c.tries INTO r
      FROM {{schema}}.codes c WHERE c.scope = p_scope FOR UPDATE;
    IF NOT FOUND OR r.expires_ns <= p_now THEN
        RETURN 0;
    END IF;
    IF r.mac = p_mac THEN
        DELETE FROM {{schema}}.codes WHERE scope = p_scope;
        RETURN 1;
    END IF;
    IF r.tries + 1 >= p_max THEN
        DELETE FROM {{schema}}.codes WHERE scope = p_scope;
        RETURN 3;
    END IF;
    UPDATE {{schema}}.codes SET tries = r.tries + 1 WHERE scope = p_scope;
    RETURN 2;
END
$fn$;

-- put_ticket stores a ticket, deleting any other ticket of the same
-- non-empty scope. The unique index on scope makes a concurrent put of the
-- same scope fail here; the loop then deletes the winner's ticket and retries.
CREATE FUNCTION {{schema}}.put_ticket(p_id text, p_scope text, p_user text, p_dest text,
                                      p_verified boolean, p_expires bigint)
RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    LOOP
        IF p_scope <> '' THEN
            DELETE FROM {{schema}}.tickets WHERE scope = p_scope AND id <> p_id;
        END IF;
        BEGIN
            INSERT INTO {{schema}}.tickets (id, scope, user_id, destination, verified, expires_ns)
            VALUES (p_id, p_scope, p_user, p_dest, p_verified, p_expires)
            ON CONFLICT (id) DO UPDATE
               SET scope = EXCLUDED.scope, user_id = EXCLUDED.user_id,
                   destination = EXCLUDED.destination, verified = EXCLUDED.verified,
                   expires_ns = EXCLUDED.expires_ns;
            RETURN;
        EXCEPTION WHEN unique_violation THEN
            -- another ticket of p_scope was committed meanwhile: go round again
        END;
    END LOOP;
END
$fn$;

-- allow checks the events of p_key against every window (p_periods[i] ns,
-- p_maxes[i] events, all > 0) at p_now. When all have room it records p_now
-- and returns 0; otherwise it records nothing and returns the nanoseconds
-- until every window has room again.
CREATE FUNCTION {{schema}}.allow(p_key text, p_now bigint, p_periods bigint[], p_maxes int[])
RETURNS bigint LANGUAGE plpgsql AS $fn$
DECLARE
    ev     bigint[];
    longest bigint;
    n      int;
    c      int;
    w      bigint;
    wait   bigint := 0;
BEGIN
    SELECT max(x) INTO longest FROM unnest(p_periods) AS x;
    IF longest IS NULL OR longest <= 0 THEN
        RETURN 0;
    END IF;
    SELECT r.events INTO ev FROM {{schema}}.rate_events r WHERE r.key = p_key FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO {{schema}}.rate_events (key, events, expires_ns)
        VALUES (p_key, ARRAY[p_now], p_now + longest)
        ON CONFLICT (key) DO NOTHING;
        IF FOUND THEN
            RETURN 0;
        END IF;
        SELECT r.events INTO ev FROM {{schema}}.rate_events r WHERE r.key = p_key FOR UPDATE;
    END IF;
    ev := ARRAY(SELECT x FROM unnest(ev) AS x WHERE x > p_now - longest ORDER BY x);
    n := coalesce(array_length(ev, 1), 0);
    FOR i IN 1 .. coalesce(array_length(p_periods, 1), 0) LOOP
        SELECT count(*) INTO c FROM unnest(ev) AS x WHERE x > p_now - p_periods[i];
        IF c >= p_maxes[i] THEN
            -- The events inside window i are the newest c; it has room again
            -- when the (c - max + 1)-th of them, ev[n - max + 1], leaves.
            w := ev[n - p_maxes[i] + 1] + p_periods[i] - p_now;
            IF w > wait THEN
                wait := w;
            END IF;
        END IF;
    END LOOP;
    IF wait = 0 THEN
        -- Record the event in order and keep only as many of the newest
        -- events as the largest window can count.
        ev := ARRAY(SELECT x FROM (SELECT x FROM unnest(ev || p_now) AS x ORDER BY x DESC
                                   LIMIT (SELECT max(m) FROM unnest(p_maxes) AS m)) AS kept
                    ORDER BY x);
        n := array_length(ev, 1);
    END IF;
    UPDATE {{schema}}.rate_events
       SET events = ev, expires_ns = coalesce(ev[n], p_now) + longest
     WHERE key = p_key;
    RETURN wait;
END
$fn$;

-- begin_attempt reserves one attempt of p_key at p_now under a lock policy
-- (see security.LockPolicy; durations in ns, 0 disables a rule). A reserved
-- attempt counts as a failure until succeed_attempt. When the reservation
-- reaches a limit the lock starts now. A run of consecutive failures with no
-- lock left is forgotten p_run_memory after its last failure (the row
-- expires then, unless locked until a reset).
CREATE FUNCTION {{schema}}.begin_attempt(p_key text, p_now bigint,
        p_consec int, p_lock_for bigint, p_max_consec int,
        p_window bigint, p_window_max int, p_until_clear boolean, p_run_memory bigint,
        OUT allowed boolean, OUT attempt_id bigint, OUT locked_until bigint, OUT forever boolean)
LANGUAGE plpgsql AS $fn$
DECLARE
    r   record;
    ids bigint[] := '{}';
    ts  bigint[] := '{}';
    c   int;
    n   int;
    lk  bigint := 0;
    fv  boolean := false;
BEGIN
    allowed := false; attempt_id := 0; locked_until := 0; forever := false;
    SELECT * INTO r FROM {{schema}}.attempts a WHERE a.key = p_key FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO {{schema}}.attempts (key) VALUES (p_key) ON CONFLICT (key) DO NOTHING;
        SELECT * INTO r FROM {{schema}}.attempts a WHERE a.key = p_key FOR UPDATE;
    END IF;
    IF r.forever THEN
        forever := true;
        RETURN;
    END IF;
    IF r.locked_until_ns > p_now THEN
        locked_until := r.locked_until_ns;
        RETURN;
    END IF;
    attempt_id := nextval('{{schema_str}}.attempt_ids');
    c := r.consecutive + 1;
    IF p_window > 0 AND p_window_max > 0 THEN
        SELECT coalesce(array_agg(u.i ORDER BY u.x, u.i), '{}'),
               coalesce(array_agg(u.x ORDER BY u.x, u.i), '{}')
          INTO ids, ts
          FROM unnest(r.fail_ids || attempt_id, r.fail_ns || p_now) AS u(i, x)
         WHERE u.x > p_now - p_window;
        n := coalesce(array_length(ts, 1), 0);
        IF n >= p_window_max THEN
            IF p_until_clear THEN
                fv := true;
            ELSE
                lk := ts[n - p_window_max + 1] + p_window;
            END IF;
        END IF;
    END IF;
    IF p_consec > 0 AND p_lock_for > 0 AND c % p_consec = 0 THEN
        lk := greatest(lk, p_now + p_lock_for);
    END IF;
    IF p_max_consec > 0 AND c >= p_max_consec THEN
        fv := true;
    END IF;
    UPDATE {{schema}}.attempts
       SET consecutive = c, fail_ids = ids, fail_ns = ts, locked_until_ns = lk, forever = fv,
           window_ns = p_window, window_max = p_window_max, until_clear = p_until_clear,
           expires_ns = CASE WHEN fv THEN NULL
                             ELSE greatest(lk, p_now + p_window, p_now + p_run_memory) END
     WHERE key = p_key;
    allowed := true;
END
$fn$;

-- succeed_attempt records that attempt p_id of p_key succeeded: the
-- consecutive count is reset, the attempt leaves the window, and the lock is
-- lifted unless the failures left in the window still reach the window rule.
-- A row with nothing left to remember is deleted.
CREATE FUNCTION {{schema}}.succeed_attempt(p_key text, p_id bigint, p_now bigint)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    r   record;
    ids bigint[] := '{}';
    ts  bigint[] := '{}';
    n   int := 0;
    lk  bigint := 0;
    fv  boolean := false;
BEGIN
    SELECT * INTO r FROM {{schema}}.attempts a WHERE a.key = p_key FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF r.window_ns > 0 AND r.window_max > 0 THEN
        SELECT coalesce(array_agg(u.i ORDER BY u.x, u.i), '{}'),
               coalesce(array_agg(u.x ORDER BY u.x, u.i), '{}')
          INTO ids, ts
          FROM unnest(r.fail_ids, r.fail_ns) AS u(i, x)
         WHERE u.i <> p_id AND u.x > p_now - r.window_ns;
        n := coalesce(array_length(ts, 1), 0);
        IF n >= r.window_max AND (r.forever OR r.locked_until_ns > p_now) THEN
            IF r.until_clear THEN
                fv := true;
            ELSE
                lk := ts[n - r.window_max + 1] + r.window_ns;
            END IF;
        END IF;
    END IF;
    IF n = 0 AND NOT fv THEN
        DELETE FROM {{schema}}.attempts WHERE key = p_key;
        RETURN;
    END IF;
    UPDATE {{schema}}.attempts
       SET consecutive = 0, fail_ids = ids, fail_ns = ts, locked_until_ns = lk, forever = fv,
           expires_ns = CASE WHEN fv THEN NULL ELSE greatest(lk, ts[n] + r.window_ns) END
     WHERE key = p_key;
END
$fn$;
