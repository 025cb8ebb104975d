-- 0008: a second factor for console accounts: TOTP (RFC 6238) and ten single-use recovery
-- codes, on Galaxy's `admins` table. Idempotent.

SET client_min_messages = warning;

CREATE OR REPLACE FUNCTION pg_temp.add_constraint(tbl regclass, name text, definition text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_constraint WHERE conrelid = tbl AND conname = name) THEN
    EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', tbl, name, definition);
  END IF;
END
$$;

-- The TOTP secret (20 random bytes); NULL while the account has none. The gateway needs it in
-- the clear to compute codes, so the column is as sensitive as the JWT secret: only the owner
-- and galaxy_admin_api read `admins`, and backups of this table deserve the same care.
ALTER TABLE admins ADD COLUMN IF NOT EXISTS totp_secret BYTEA;
DO $do$ BEGIN PERFORM pg_temp.add_constraint('admins', 'admins_totp_secret_check',
  'CHECK (octet_length(totp_secret) = 20)'); END $do$;
-- The last 30-second step (Unix time / 30) whose code signed in: a code is accepted only for a
-- later step, so it works once. Checked and set in one statement, whichever replica asks:
--   UPDATE admins SET totp_last_step = $step WHERE id = $id AND totp_last_step < $step
ALTER TABLE admins ADD COLUMN IF NOT EXISTS totp_last_step BIGINT NOT NULL DEFAULT 0;
-- SHA-256 (hex) of each recovery code not used yet; a code is used by removing its hash:
--   UPDATE admins SET recovery_codes = array_remove(recovery_codes, $hash)
--   WHERE id = $id AND $hash = ANY (recovery_codes) RETURNING cardinality(recovery_codes)
ALTER TABLE admins ADD COLUMN IF NOT EXISTS recovery_codes TEXT[] NOT NULL DEFAULT '{}';
DO $do$ BEGIN PERFORM pg_temp.add_constraint('admins', 'admins_recovery_codes_check',
  'CHECK (cardinality(recovery_codes) <= 10)'); END $do$;
