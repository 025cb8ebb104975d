-- 0007: the audit log's hash chain, which makes it tamper-evident. Idempotent.
--
-- Each entry written from now on carries `hash`: SHA-256 of the hash of the entry before it
-- (by id; 32 zero bytes when there is none, or when it predates this migration) followed by
-- the entry's fields, each written as '-' when NULL or as its length in UTF-8 bytes, ':' and
-- its text, in this order:
--   id, at (whole microseconds since 1970-01-01 UTC), tick, admin, admin_id, role, action,
--   target_type, target_id, target, before, after, reason, detail
-- An entry changed, removed or inserted afterwards breaks the link of the entry after it, which
-- GET /admin/audit/verify reports. The reference gateway computes the same bytes
-- (gateway/src/domain/audit_chain.rs) to check them.
--
-- The hash is computed here, not by the api-gateway: whatever an INSERT sends is replaced, so
-- the gateway's role can neither choose nor forge a link. The trigger runs after
-- admin_audit_assign_id (triggers fire in name order), under its lock: the entry before is the
-- last one committed, so concurrent writers cannot fork the chain. That holds for writers in
-- READ COMMITTED (PostgreSQL's default, and the api-gateway's): a REPEATABLE READ or
-- SERIALIZABLE transaction would read the entry before from its own older snapshot, so audit
-- entries must not be written from one. Entries written before this migration keep a NULL hash
-- and are outside the chain.

SET client_min_messages = warning;

ALTER TABLE admin_audit ADD COLUMN IF NOT EXISTS hash BYTEA;

CREATE OR REPLACE FUNCTION admin_audit_hash_field(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN value IS NULL THEN '-'
              ELSE octet_length(convert_to(value, 'UTF8'))::text || ':' || value END
$$;

-- SECURITY DEFINER: it reads the entry before from every partition, whoever inserts.
CREATE OR REPLACE FUNCTION admin_audit_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  prev bytea;
BEGIN
  -- VOLATILE, so this query sees the entry committed by the writer this one waited for.
  SELECT hash INTO prev FROM public.admin_audit ORDER BY id DESC LIMIT 1;
  NEW.hash := sha256(coalesce(prev, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
    || convert_to(
         public.admin_audit_hash_field(NEW.id::text)
      || public.admin_audit_hash_field(floor(extract(epoch FROM NEW.at) * 1000000)::bigint::text)
      || public.admin_audit_hash_field(NEW.tick::text)
      || public.admin_audit_hash_field(NEW.admin)
      || public.admin_audit_hash_field(NEW.admin_id::text)
      || public.admin_audit_hash_field(NEW.role)
      || public.admin_audit_hash_field(NEW.action)
      || public.admin_audit_hash_field(NEW.target_type)
      || public.admin_audit_hash_field(NEW.target_id)
      || public.admin_audit_hash_field(NEW.target)
      || public.admin_audit_hash_field(NEW.before)
      || public.admin_audit_hash_field(NEW.after)
      || public.admin_audit_hash_field(NEW.reason)
      || public.admin_audit_hash_field(NEW.detail),
       'UTF8'));
  RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION admin_audit_chain() FROM PUBLIC;

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_trigger WHERE tgrelid = 'admin_audit'::regclass AND tgname = 'admin_audit_chain') THEN
    CREATE TRIGGER admin_audit_chain BEFORE INSERT ON admin_audit
      FOR EACH ROW EXECUTE FUNCTION admin_audit_chain();
  END IF;
END
$$;

-- The check reads the newest entries by id (the primary key) and needs nothing more.
