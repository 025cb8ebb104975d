-- 0011: where the kept audit chain begins, so its first entry is checked too. Idempotent.
--
-- From the entries alone, a check of the chain cannot tell the first entry ever written (which
-- links to 32 zero bytes) from the oldest entry left after older ones were removed: neither has
-- an entry before it, so a check took it as it stood, and a change to it, or its removal,
-- went unnoticed. `admin_audit_chain_start` now says which chained entry the kept log begins
-- with and what that entry links to: the zeros when it began the chain, else the hash of the
-- last entry dropped before it. A trigger records the chain's beginning; retention goes
-- through admin_audit_drop_partition(), which records the new beginning as it drops. GET
-- /admin/audit/verify holds the oldest kept entry to that link, and reports the chain broken at
-- it when it is not the one recorded (an entry before it was removed another way).
--
-- Like admin_audit's own guards, this stops everyone but a deliberate owner: one who deletes
-- entries and rewrites this row too is caught only by a `head` kept outside the console.

SET client_min_messages = warning;

CREATE TABLE IF NOT EXISTS admin_audit_chain_start (
  only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
  first_id BIGINT NOT NULL,   -- the oldest chained entry kept
  prev_hash BYTEA NOT NULL,   -- what it links to
  CONSTRAINT admin_audit_chain_start_hash CHECK (octet_length(prev_hash) = 32)
);

-- The hash of entry `e` following an entry whose hash is `prev`: migration 0007's formula (its
-- trigger computes the same), for the backfill below and for checks in SQL.
CREATE OR REPLACE FUNCTION admin_audit_link(prev bytea, e admin_audit) RETURNS bytea
LANGUAGE sql STABLE SET search_path = pg_catalog, public AS $$
  SELECT sha256(prev || convert_to(
       public.admin_audit_hash_field(e.id::text)
    || public.admin_audit_hash_field(floor(extract(epoch FROM e.at) * 1000000)::bigint::text)
    || public.admin_audit_hash_field(e.tick::text)
    || public.admin_audit_hash_field(e.admin)
    || public.admin_audit_hash_field(e.admin_id::text)
    || public.admin_audit_hash_field(e.role)
    || public.admin_audit_hash_field(e.action)
    || public.admin_audit_hash_field(e.target_type)
    || public.admin_audit_hash_field(e.target_id)
    || public.admin_audit_hash_field(e.target)
    || public.admin_audit_hash_field(e.before)
    || public.admin_audit_hash_field(e.after)
    || public.admin_audit_hash_field(e.reason)
    || public.admin_audit_hash_field(e.detail),
     'UTF8'))
$$;
REVOKE ALL ON FUNCTION admin_audit_link(bytea, admin_audit) FROM PUBLIC;

-- Records an entry that begins the chain: one written when no chained entry is kept (the log's
-- first, or the first after every partition went). A trigger of its own, not a change to 0007's
-- admin_audit_chain(), so applying 0007 again never leaves a moment without it. It fires after
-- admin_audit_chain (name order), under admin_audit_assign_id's lock, so the entry before is
-- the last one committed.
CREATE OR REPLACE FUNCTION admin_audit_chain_begin() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  IF (SELECT hash FROM public.admin_audit ORDER BY id DESC LIMIT 1) IS NULL THEN
    INSERT INTO public.admin_audit_chain_start (first_id, prev_hash)
    VALUES (NEW.id, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
    ON CONFLICT (only_row) DO UPDATE SET first_id = EXCLUDED.first_id, prev_hash = EXCLUDED.prev_hash;
  END IF;
  RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION admin_audit_chain_begin() FROM PUBLIC;

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_trigger WHERE tgrelid = 'admin_audit'::regclass AND tgname = 'admin_audit_chain_begins') THEN
    CREATE TRIGGER admin_audit_chain_begins BEFORE INSERT ON admin_audit
      FOR EACH ROW EXECUTE FUNCTION admin_audit_chain_begin();
  END IF;
END
$$;

-- Retention, as the owner: drops partition `part` of admin_audit and records where the kept
-- chain now begins. It refuses a partition whose entries are not all older (by id) than every
-- kept one, since the kept chain would then have a hole; drop the older partitions first.
--   SELECT admin_audit_drop_partition('admin_audit_y2026m01');
CREATE OR REPLACE FUNCTION admin_audit_drop_partition(part regclass) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
DECLARE
  dropped_last bigint;
  kept_first bigint;
BEGIN
  -- No entry is written meanwhile.
  PERFORM pg_advisory_xact_lock(hashtext('admin_audit_id'));
  IF NOT EXISTS (SELECT FROM pg_inherits WHERE inhrelid = part AND inhparent = 'public.admin_audit'::regclass) THEN
    RAISE EXCEPTION '% is not a partition of admin_audit', part;
  END IF;
  EXECUTE format('SELECT max(id) FROM %s WHERE hash IS NOT NULL', part) INTO dropped_last;
  SELECT a.id INTO kept_first FROM public.admin_audit a
    WHERE a.hash IS NOT NULL AND a.tableoid <> part ORDER BY a.id LIMIT 1;
  IF kept_first < dropped_last THEN
    RAISE EXCEPTION 'admin_audit entry % is kept but older than entry % of %; drop the older partitions first',
      kept_first, dropped_last, part;
  END IF;
  IF dropped_last IS NOT NULL AND kept_first IS NOT NULL THEN
    INSERT INTO public.admin_audit_chain_start (first_id, prev_hash)
    SELECT kept_first, hash FROM public.admin_audit WHERE id = dropped_last
    ON CONFLICT (only_row) DO UPDATE SET first_id = EXCLUDED.first_id, prev_hash = EXCLUDED.prev_hash;
  ELSIF dropped_last IS NOT NULL THEN
    -- Nothing chained is kept: the next entry begins the chain again.
    DELETE FROM public.admin_audit_chain_start;
  END IF;
  EXECUTE format('DROP TABLE %s', part);
END
$$;
REVOKE ALL ON FUNCTION admin_audit_drop_partition(regclass) FROM PUBLIC;

-- A log chained before this migration: its oldest chained entry begins the kept chain if it
-- links to the zeros. If it does not (older entries were dropped, or it was changed), nothing
-- is recorded and the check takes that entry as it stands, as before.
INSERT INTO admin_audit_chain_start (first_id, prev_hash)
SELECT a.id, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea
FROM admin_audit a
WHERE a.id = (SELECT id FROM admin_audit WHERE hash IS NOT NULL ORDER BY id LIMIT 1)
  AND a.hash = admin_audit_link('\x0000000000000000000000000000000000000000000000000000000000000000'::bytea, a)
ON CONFLICT (only_row) DO NOTHING;

GRANT SELECT ON admin_audit_chain_start TO galaxy_admin_api;
