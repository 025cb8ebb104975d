-- 0011: where the audit log's hash chain begins. Idempotent.
--
-- From the entries alone, a check of the chain cannot tell the first entry ever written (which
-- links to 32 zero bytes) from the oldest entry left after its predecessors' partition was
-- dropped (which links to an entry no longer there): neither has an entry before it. Until now
-- a check took every such entry as it stood, so a change to the chain's very first entry went
-- unnoticed. The trigger now records which entry begins the chain, and while that entry is the
-- oldest one kept, GET /admin/audit/verify requires it to link to the zeros.

SET client_min_messages = warning;

CREATE TABLE IF NOT EXISTS admin_audit_chain_start (
  only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
  first_id BIGINT NOT NULL
);

-- The hash of entry `e` following an entry whose hash is `prev`: migration 0007's formula, here
-- once for the trigger and for the backfill below.
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

CREATE OR REPLACE FUNCTION admin_audit_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  prev bytea;
BEGIN
  -- VOLATILE, so this query sees the entry committed by the writer this one waited for.
  SELECT hash INTO prev FROM public.admin_audit ORDER BY id DESC LIMIT 1;
  IF prev IS NULL THEN
    -- Nothing chained is kept: this entry begins the chain (again, if every partition went).
    INSERT INTO public.admin_audit_chain_start (first_id) VALUES (NEW.id)
      ON CONFLICT (only_row) DO UPDATE SET first_id = EXCLUDED.first_id;
  END IF;
  NEW.hash := public.admin_audit_link(
    coalesce(prev, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea), NEW);
  RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION admin_audit_chain() FROM PUBLIC;

-- A log chained before this migration: its oldest chained entry begins the chain if it links to
-- the zeros. If it does not (its predecessors were dropped, or it was changed), nothing is
-- recorded and that entry is taken as it stands, as before.
INSERT INTO admin_audit_chain_start (first_id)
SELECT a.id FROM admin_audit a
WHERE a.id = (SELECT min(id) FROM admin_audit WHERE hash IS NOT NULL)
  AND a.hash = admin_audit_link('\x0000000000000000000000000000000000000000000000000000000000000000'::bytea, a)
ON CONFLICT (only_row) DO NOTHING;

GRANT SELECT ON admin_audit_chain_start TO galaxy_admin_api;
