-- 0004_code_tickets: a code operation stores its ticket in the same step.
--
-- security.Code.Ticket is stored with its code (a forgot-password flow or an
-- email link and its code are one write) and security.CodeCheck.OnMatch is
-- stored when, and only when, the check matches (the verified flow replaces
-- the unverified one as its code is consumed). Both go through put_ticket
-- (0001), so a ticket is stored, and the other tickets of its scope voided,
-- in one place whichever operation carries it.
--
-- The ticket parameters default to NULL, meaning no ticket: a replica of the
-- previous release still calling verify_code with its nine arguments reaches
-- the new function during a rolling deploy and gets what it got before.

DROP FUNCTION {{schema}}.verify_code(text, bytea, bigint, int, text[], bigint[], bigint[], bigint[], bigint[]);

-- put_code stores the code of p_scope, replacing (voiding) any code of that
-- scope, and, when p_t_id is not NULL, the ticket p_t_* as put_ticket does.
-- The code row is written before the ticket rows. A PutCode counts its
-- gates (count_hits, which locks their counters) before it calls put_code,
-- so every statement takes counters, then the code row, then tickets: the
-- order verify_code takes them in too, and none waits on another in a
-- circle.
CREATE FUNCTION {{schema}}.put_code(p_scope text, p_mac bytea, p_expires bigint, p_tries int,
        p_t_id text DEFAULT NULL, p_t_scope text DEFAULT NULL, p_t_user text DEFAULT NULL,
        p_t_dest text DEFAULT NULL, p_t_verified boolean DEFAULT NULL, p_t_expires bigint DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO {{schema}}.codes (scope, mac, expires_ns, tries)
    VALUES (p_scope, p_mac, p_expires, p_tries)
    ON CONFLICT (scope) DO UPDATE
    SET mac = EXCLUDED.mac, expires_ns = EXCLUDED.expires_ns, tries = EXCLUDED.tries;
    IF p_t_id IS NOT NULL THEN
        PERFORM {{schema}}.put_ticket(p_t_id, p_t_scope, p_t_user, p_t_dest, p_t_verified, p_t_expires);
    END IF;
END
$fn$;

-- verify_code is 0003's, plus the ticket p_t_* (when p_t_id is not NULL),
-- stored as put_ticket stores it when the result is 1 (matched), after the
-- code is consumed and in the same transaction:
--
--  1. It locks the failure counters a wrong try moves (ascending, as
--     count_hits does), then the code row: the order a PutCode takes them
--     in. Checks sharing a failure counter take turns on its lock;
--     concurrent checks of one scope take turns on the code row.
--  2. If any failure hit with a Max has no room (held + add > max, held
--     counting every event of the counter, as counter_hit's Max does) the
--     result is 4 (blocked) and nothing changes; the code is not looked at.
--  3. Otherwise the code is checked: 0 missing (none, or expired), 1
--     matched (consumed, and the ticket stored), 2 wrong (tries counted) or
--     3 voided (the wrong try that reached p_max deleted it).
--  4. On 2 and 3 every failure hit's Add is applied with no Max check.
--
-- Of concurrent matching checks exactly one sees the code (the row lock),
-- so exactly one stores its ticket.
--
-- The counts are the failure counters after the call; applied is true only
-- where an Add was applied (step 4).
--
-- The MACs are compared through their SHA-256 digests: the time bytea
-- equality takes reveals how long a common prefix the digests have, which
-- says nothing about the stored MAC.
CREATE FUNCTION {{schema}}.verify_code(p_scope text, p_mac bytea, p_now bigint, p_max int,
        p_keys text[], p_widths bigint[], p_buckets bigint[], p_adds bigint[], p_maxes bigint[],
        p_t_id text DEFAULT NULL, p_t_scope text DEFAULT NULL, p_t_user text DEFAULT NULL,
        p_t_dest text DEFAULT NULL, p_t_verified boolean DEFAULT NULL, p_t_expires bigint DEFAULT NULL,
        OUT result int, OUT counts bigint[], OUT applied boolean[], OUT oldest bigint[])
LANGUAGE plpgsql AS $fn$
DECLARE
    c record;
    r record;
    n int := coalesce(cardinality(p_keys), 0);
BEGIN
    counts := '{}'; applied := '{}'; oldest := '{}';
    IF n > 0 THEN
        PERFORM {{schema}}.counter_lock(p_keys, p_widths, ARRAY(SELECT a <> 0 FROM unnest(p_adds) AS a));
    END IF;
    SELECT k.mac, k.expires_ns, k.tries INTO c
      FROM {{schema}}.codes k WHERE k.scope = p_scope FOR UPDATE;
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
        IF p_t_id IS NOT NULL THEN
            PERFORM {{schema}}.put_ticket(p_t_id, p_t_scope, p_t_user, p_t_dest, p_t_verified, p_t_expires);
        END IF;
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
