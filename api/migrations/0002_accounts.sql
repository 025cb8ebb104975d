-- 0002: console accounts on Galaxy's `admins` table (roles, disabling, token revocation, last
-- login) and the login limit's state, shared by every api-gateway replica.
-- Idempotent: guarded ALTERs and constraints, IF NOT EXISTS everywhere.

-- A second run's "already exists, skipping" notices are expected; keep the output to warnings.
SET client_min_messages = warning;

-- A constraint added only when the table has none of that name (ALTER TABLE has no
-- ADD CONSTRAINT IF NOT EXISTS); a temporary function, gone with the session.
CREATE OR REPLACE FUNCTION pg_temp.add_constraint(tbl regclass, name text, definition text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_constraint WHERE conrelid = tbl AND conname = name) THEN
    EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', tbl, name, definition);
  END IF;
END
$$;

-- Rows that exist before this migration are Galaxy's admins of old: they keep full access
-- (role 'admin'); an account created afterwards is a viewer unless the gateway says otherwise
-- (it always does).
ALTER TABLE admins ADD COLUMN IF NOT EXISTS role VARCHAR(16) NOT NULL DEFAULT 'admin';
ALTER TABLE admins ALTER COLUMN role SET DEFAULT 'viewer';
-- Each role may do everything the one before it may (README, "Roles"). A CHECK rather than an
-- enum type: drivers read and write it as text, and a new role is a constraint change.
DO $do$ BEGIN PERFORM pg_temp.add_constraint('admins', 'admins_role_check',
  $c$CHECK (role IN ('viewer', 'operator', 'admin'))$c$); END $do$;
ALTER TABLE admins ADD COLUMN IF NOT EXISTS disabled BOOLEAN NOT NULL DEFAULT FALSE;
-- Bumped (token_version = token_version + 1) by every change that must end the account's
-- sessions: a role change, disabling, a password change or reset. A token carries the version
-- it was issued at; the gateway refuses a token whose version is not the row's.
ALTER TABLE admins ADD COLUMN IF NOT EXISTS token_version BIGINT NOT NULL DEFAULT 0;
DO $do$ BEGIN PERFORM pg_temp.add_constraint('admins', 'admins_token_version_check', 'CHECK (token_version >= 0)'); END $do$;
ALTER TABLE admins ADD COLUMN IF NOT EXISTS last_login_at TIMESTAMP WITH TIME ZONE;

-- "There is always an enabled admin" is the gateway's rule, enforced with row locks. Every
-- transaction that demotes, disables or deletes an account first runs, before reading
-- anything else about admins:
--
--   SELECT id FROM admins WHERE role = 'admin' AND NOT disabled ORDER BY id FOR UPDATE;
--
-- and refuses (409) when the target is among the rows and is the only one; otherwise it
-- changes the target, writes the audit entry and commits. Two such transactions lock the same
-- rows in the same order (ORDER BY id, so no deadlock): the second waits for the first, and
-- under READ COMMITTED re-checks each locked row that the first changed against the WHERE
-- clause, so it sees the admins that are left. Two admins demoting each other at once: one
-- succeeds, the other finds itself the last enabled admin and is refused
-- (tests/db/test_migrations.py, test_two_admins_demoting_each_other_leave_one).
-- This partial index keeps that query to the few enabled admins.
CREATE INDEX IF NOT EXISTS idx_admins_enabled_admins ON admins (id) WHERE role = 'admin' AND NOT disabled;

-- The login limit (README, "Login limit"), shared by all replicas so a lockout made through
-- one holds through the others. Per account: keyed by the username as typed (an unknown name
-- is limited alike), at most 64 characters; deleted on success, on a password reset, and when
-- an account of that name is created (a name deleted and created again starts afresh).
CREATE TABLE IF NOT EXISTS admin_login_lockouts (
  username_key VARCHAR(64) PRIMARY KEY,
  failures INTEGER NOT NULL DEFAULT 0,          -- since the last success or lockout
  lockouts INTEGER NOT NULL DEFAULT 0,          -- since the last success; each doubles the next
  locked_until TIMESTAMP WITH TIME ZONE,
  last_failure_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  CONSTRAINT admin_login_lockouts_counts CHECK (failures >= 0 AND lockouts >= 0)
);

-- Per client address: one row per failure; the gateway counts those within the last minute
-- and deletes older ones.
CREATE TABLE IF NOT EXISTS admin_login_address_failures (
  address INET NOT NULL,
  failed_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW()
);
CREATE INDEX IF NOT EXISTS idx_admin_login_address_failures ON admin_login_address_failures (address, failed_at);

-- The api-gateway manages accounts and the login limit.
GRANT SELECT, INSERT, UPDATE, DELETE ON admins TO galaxy_admin_api;
GRANT SELECT, INSERT, UPDATE, DELETE ON admin_login_lockouts TO galaxy_admin_api;
GRANT SELECT, INSERT, DELETE ON admin_login_address_failures TO galaxy_admin_api;
