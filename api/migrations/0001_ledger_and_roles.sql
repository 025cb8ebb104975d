-- 0001: the migrations ledger, pg_trgm, and the api-gateway's own database role.
--
-- Applied on top of Galaxy's seed schema (the postgres-init ConfigMap's 01-schema.sql), as the
-- database owner (Galaxy's `galaxy` user, POSTGRES_USER of the postgres StatefulSet). Every
-- statement is idempotent: applying this file again changes nothing and raises no error.

-- A second run's "already exists, skipping" notices are expected; keep the output to warnings.
SET client_min_messages = warning;

-- What has been applied: one row per migration file, written by api/migrations/apply.sh in
-- the same transaction as the file. Informational only: every file is idempotent on its own,
-- so `psql -f` of the whole set is safe with or without this table.
CREATE TABLE IF NOT EXISTS schema_migrations (
  version VARCHAR(16) PRIMARY KEY,              -- the file's number, '0001'
  name VARCHAR(100) NOT NULL,                   -- the file's name, '0001_ledger_and_roles.sql'
  checksum CHAR(64) NOT NULL,                   -- sha256 of the file, hex
  applied_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  CONSTRAINT schema_migrations_checksum_hex CHECK (checksum ~ '^[0-9a-f]{64}$')
);

-- Trigram indexes for substring search (players' usernames, audit targets). A trusted
-- extension: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The api-gateway's role. Galaxy's spec gives every service one DATABASE_URL with the `galaxy`
-- user (the owner and, in the postgres image, a superuser); the spec names no user of the
-- api-gateway's own, so the console's storage gets `galaxy_admin_api` with least privilege:
-- it may do what the admin API does and no more (the grants are in each migration, next to
-- the tables). It logs in, but has no password until one is set by whoever holds the secret:
--   ALTER ROLE galaxy_admin_api PASSWORD '<from the secret>';
-- (no password in a migration file). It inherits nothing and owns nothing.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'galaxy_admin_api') THEN
    CREATE ROLE galaxy_admin_api LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS;
  END IF;
END
$$;

DO $$
BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO galaxy_admin_api', current_database());
END
$$;
GRANT USAGE ON SCHEMA public TO galaxy_admin_api;
-- The gateway may check at start-up that the migrations it needs are applied.
GRANT SELECT ON schema_migrations TO galaxy_admin_api;
