-- 0002_exact_email_and_row_locks: exact email matching, and allow and
-- begin_attempt that cannot lose an event to a concurrent delete.
--
-- Upgrades a 0001 schema in place (Migrate runs it in one transaction).

-- Emails are compared byte for byte. The Service hands the store addresses
-- normalised by security.NormalizeEmail, which folds ASCII letters only, so
-- "Ärger@example.com" and "ärger@example.com" are two addresses; lower()
-- folds more, and how much depends on the database's locale. The index
-- keeps its name, which the store maps to ErrEmailTaken. Every set of rows
-- the old index accepted is accepted by the new one (equal emails have equal
-- lower()), so building it cannot fail.
DROP INDEX {{schema}}.accounts_email_key;
CREATE UNIQUE INDEX accounts_email_key ON {{schema}}.accounts (email) WHERE email <> '';

-- allow and begin_attempt of 0001 ran "SELECT ... FOR UPDATE; if no row,
-- INSERT ... ON CONFLICT DO NOTHING; SELECT ... FOR UPDATE" once. A row that
-- a concurrent call inserted (the conflict) and that Cleanup, ClearAttempts
-- or succeed_attempt deleted before the second SELECT left the row variable
-- NULL: the function then let the event or attempt through while its final
-- UPDATE touched no row, so nothing was recorded. Both now loop until they
-- hold the row: either they lock an existing one or their own INSERT
-- creates it (an uncommitted row of ours nobody else can delete). The final
-- UPDATE then always hits the locked row; it raises if it does not, so a
-- future regression fails loudly instead of letting an event slip through.
--
-- The other functions of 0001 have no such gap: verify_code and
-- succeed_attempt never insert, and a row deleted under their FOR UPDATE
-- simply reads as missing (a missing code, nothing to forget); put_ticket
-- upserts with ON CONFLICT (id) DO UPDATE, which PostgreSQL makes atomic
-- against concurrent deletes, and retries on a scope conflict.

CREATE OR REPLACE FUNCTION {{schema}}.allow(p_key text, p_now bigint, p_periods bigint[], p_maxes int[])
RETURNS bigint LANGUAGE plpgsql AS $fn$
DECLARE
    ev      bigint[];
    longest bigint;
    n       int;
    c       int;
    w       bigint;
    wait    bigint := 0;
BEGIN
    SELECT max(x) INTO longest FROM unnest(p_periods) AS x;
    IF longest IS NULL OR longest <= 0 THEN
        RETURN 0;
    END IF;
    LOOP
        SELECT r.events INTO ev FROM {{schema}}.rate_events r WHERE r.key = p_key FOR UPDATE;
        EXIT WHEN FOUND;
        INSERT INTO {{schema}}.rate_events (key, events, expires_ns)
        VALUES (p_key, ARRAY[p_now], p_now + longest)
        ON CONFLICT (key) DO NOTHING;
        IF FOUND THEN
            RETURN 0; -- a new log holding this event: every window has room
        END IF;
        -- Another call created the row meanwhile; it may be gone again by
        -- the time we lock it, so go round.
    END LOOP;
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
    IF NOT FOUND THEN
        RAISE EXCEPTION 'allow: locked rate_events row vanished';
    END IF;
    RETURN wait;
END
$fn$;

CREATE OR REPLACE FUNCTION {{schema}}.begin_attempt(p_key text, p_now bigint,
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
    LOOP
        SELECT * INTO r FROM {{schema}}.attempts a WHERE a.key = p_key FOR UPDATE;
        EXIT WHEN FOUND;
        INSERT INTO {{schema}}.attempts (key) VALUES (p_key)
        ON CONFLICT (key) DO NOTHING
        RETURNING * INTO r;
        EXIT WHEN FOUND; -- our own, uncommitted row: nobody else can delete it
        -- Another call created the row meanwhile; it may be gone again by
        -- the time we lock it, so go round.
    END LOOP;
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
    IF NOT FOUND THEN
        RAISE EXCEPTION 'begin_attempt: locked attempts row vanished';
    END IF;
    allowed := true;
END
$fn$;
