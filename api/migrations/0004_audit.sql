-- 0004: the audit log: append-only, ready for partitioning, indexed for the console's filters
-- and keyset paging. Idempotent.
--
-- Written by the api-gateway in the same transaction as the change it records, so an entry
-- exists exactly when its change does.
--
-- Layout: range-partitioned by `at` (the entry's time), with only a default partition to begin
-- with. A partitioned table's primary key must contain the partition key, hence (id, at); `id`
-- alone is unique because only the trigger below assigns it, from its own sequence. Retention
-- and growth are handled by partitions, never by DELETE: create the coming months' partitions
-- ahead of time with admin_audit_create_partition(from, to) (it refuses a range the default
-- partition already holds rows for), and drop or detach old ones as the owner
-- (DROP TABLE admin_audit_y2026m01). Partition pruning then serves the time filter, and each
-- partition carries the indexes below.

-- A second run's "already exists, skipping" notices are expected; keep the output to warnings.
SET client_min_messages = warning;

CREATE SEQUENCE IF NOT EXISTS admin_audit_id_seq AS BIGINT;

CREATE TABLE IF NOT EXISTS admin_audit (
  id BIGINT NOT NULL,                           -- assigned by admin_audit_assign_id()
  at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  tick BIGINT NOT NULL,                         -- the game tick when recorded
  admin VARCHAR(20) NOT NULL,                   -- acting username, '(anonymous)' or '(system)'
  admin_id UUID,                                -- NULL without a session; no foreign key
  role VARCHAR(16),                             -- the role it acted with; NULL without a session
  action VARCHAR(64) NOT NULL,                  -- family.verb: config.update, player.ban, ...
  target_type VARCHAR(16),
  target_id TEXT,                               -- config key, snapshot id, player/account UUID, service
  target TEXT,                                  -- a label for people
  before TEXT,
  after TEXT,
  reason TEXT,
  detail TEXT,
  -- The family, for the filter `action=config` (every config.*); stored so it is indexed.
  action_family VARCHAR(64) GENERATED ALWAYS AS (split_part(action, '.', 1)) STORED,
  CONSTRAINT admin_audit_pkey PRIMARY KEY (id, at),
  CONSTRAINT admin_audit_tick CHECK (tick >= 0),
  CONSTRAINT admin_audit_admin CHECK (admin ~ '^[a-zA-Z0-9_]{3,20}$' OR admin IN ('(anonymous)', '(system)')),
  CONSTRAINT admin_audit_role CHECK (role IN ('viewer', 'operator', 'admin')),
  CONSTRAINT admin_audit_session CHECK ((admin_id IS NULL) = (role IS NULL)),
  CONSTRAINT admin_audit_action CHECK (action ~ '^[a-z_]+\.[a-z_]+$'),
  CONSTRAINT admin_audit_target_type CHECK (target_type IN ('game', 'config', 'snapshot', 'player', 'account', 'service')),
  CONSTRAINT admin_audit_reason_length CHECK (char_length(reason) <= 500)
) PARTITION BY RANGE (at);

CREATE TABLE IF NOT EXISTS admin_audit_default PARTITION OF admin_audit DEFAULT;

-- Ids strictly increasing in commit order, not only in allocation order: the trigger takes a
-- transaction-level advisory lock before drawing the id, so a second writer waits until the
-- first commits or rolls back. A reader paging by id (`id < $cursor ORDER BY id DESC`, the
-- first page's newest id as `until_id`) therefore never sees a smaller id appear later below
-- its cursor. Audit writers are few (admin actions), and the entry is the transaction's last
-- write, so the wait is short. SECURITY DEFINER: the api-gateway's role has no right on the
-- sequence, so it can neither draw nor choose ids; whatever id an INSERT gives is replaced.
CREATE OR REPLACE FUNCTION admin_audit_assign_id() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('admin_audit_id'));
  NEW.id := nextval('public.admin_audit_id_seq');
  RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION admin_audit_assign_id() FROM PUBLIC;

-- Append-only, for every role, the owner included: UPDATE, DELETE and TRUNCATE raise
-- (SQLSTATE 42501, insufficient_privilege). The grants below already keep the api-gateway to
-- INSERT and SELECT; the trigger guards the owner's path too (a superuser can still drop the
-- trigger or set session_replication_role, which is an act of its own, outside the console).
CREATE OR REPLACE FUNCTION admin_audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'admin_audit is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'Old entries leave by dropping or detaching a partition.';
END
$$;

-- Triggers are created only when missing, so a second run leaves them as they are. Row
-- triggers on the partitioned table apply to every partition, present and future; TRUNCATE
-- triggers do not (a partition can be truncated directly), so admin_audit_guard() puts one on
-- the table and on every partition.
CREATE OR REPLACE FUNCTION admin_audit_guard(tbl regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_trigger WHERE tgrelid = tbl AND tgname = 'admin_audit_no_truncate') THEN
    EXECUTE format('CREATE TRIGGER admin_audit_no_truncate BEFORE TRUNCATE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION admin_audit_refuse_change()', tbl);
  END IF;
END
$$;
REVOKE ALL ON FUNCTION admin_audit_guard(regclass) FROM PUBLIC;

DO $$
DECLARE
  part regclass;
BEGIN
  IF NOT EXISTS (SELECT FROM pg_trigger WHERE tgrelid = 'admin_audit'::regclass AND tgname = 'admin_audit_assign_id') THEN
    CREATE TRIGGER admin_audit_assign_id BEFORE INSERT ON admin_audit
      FOR EACH ROW EXECUTE FUNCTION admin_audit_assign_id();
  END IF;
  IF NOT EXISTS (SELECT FROM pg_trigger WHERE tgrelid = 'admin_audit'::regclass AND tgname = 'admin_audit_no_change') THEN
    CREATE TRIGGER admin_audit_no_change BEFORE UPDATE OR DELETE ON admin_audit
      FOR EACH ROW EXECUTE FUNCTION admin_audit_refuse_change();
  END IF;
  PERFORM admin_audit_guard('admin_audit');
  FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'admin_audit'::regclass LOOP
    PERFORM admin_audit_guard(part);
  END LOOP;
END
$$;

-- A partition for [p_from, p_to), named admin_audit_yYYYYmMM after p_from, with its TRUNCATE
-- guard; nothing when it exists. For example, each month for the next:
--   SELECT admin_audit_create_partition('2027-01-01', '2027-02-01');
CREATE OR REPLACE FUNCTION admin_audit_create_partition(p_from TIMESTAMP WITH TIME ZONE, p_to TIMESTAMP WITH TIME ZONE)
RETURNS regclass LANGUAGE plpgsql AS $$
DECLARE
  name text := format('admin_audit_y%sm%s', to_char(p_from AT TIME ZONE 'UTC', 'YYYY'), to_char(p_from AT TIME ZONE 'UTC', 'MM'));
BEGIN
  IF to_regclass(name) IS NULL THEN
    EXECUTE format('CREATE TABLE %I PARTITION OF admin_audit FOR VALUES FROM (%L) TO (%L)', name, p_from, p_to);
  END IF;
  PERFORM admin_audit_guard(name::regclass);
  RETURN name::regclass;
END
$$;
REVOKE ALL ON FUNCTION admin_audit_create_partition(TIMESTAMP WITH TIME ZONE, TIMESTAMP WITH TIME ZONE) FROM PUBLIC;

-- The console's queries (README, "The audit log"), newest first by keyset:
--   every page       ... WHERE id <= $until_id [AND id < $cursor] ORDER BY id DESC LIMIT $n
--                    (the primary key (id, at), scanned backwards)
--   actor            ... WHERE lower(admin) = lower($actor) ...      idx_admin_audit_actor
--   action           ... WHERE action = $action ...                  idx_admin_audit_action
--   action family    ... WHERE action_family = $family ...           idx_admin_audit_family
--   target           ... WHERE (target ILIKE $p OR target_id ILIKE $p) ...   the two trigram
--                    indexes, $p = '%' || $target || '%' with \, % and _ escaped
--   time range       ... WHERE at >= $from AND at < $to ...          idx_admin_audit_at and
--                    partition pruning
--   player timeline  ... WHERE target_type = 'player' AND target_id = $id ...  idx_admin_audit_target
CREATE INDEX IF NOT EXISTS idx_admin_audit_actor ON admin_audit (lower(admin), id DESC);
CREATE INDEX IF NOT EXISTS idx_admin_audit_action ON admin_audit (action, id DESC);
CREATE INDEX IF NOT EXISTS idx_admin_audit_family ON admin_audit (action_family, id DESC);
CREATE INDEX IF NOT EXISTS idx_admin_audit_at ON admin_audit (at, id);
CREATE INDEX IF NOT EXISTS idx_admin_audit_target ON admin_audit (target_type, target_id, id DESC);
CREATE INDEX IF NOT EXISTS idx_admin_audit_target_trgm ON admin_audit USING gin (target gin_trgm_ops);
CREATE INDEX IF NOT EXISTS idx_admin_audit_target_id_trgm ON admin_audit USING gin (target_id gin_trgm_ops);

-- The api-gateway appends and reads; it cannot change or remove an entry (nor could it if it
-- tried the partitions directly: it has no rights on them).
REVOKE ALL ON admin_audit FROM PUBLIC;
GRANT SELECT, INSERT ON admin_audit TO galaxy_admin_api;
