-- 0005: pinned, labelled snapshots with their creator; a revision per runtime config key for
-- the console's ETags. Idempotent.

-- A second run's "already exists, skipping" notices are expected; keep the output to warnings.
SET client_min_messages = warning;

CREATE OR REPLACE FUNCTION pg_temp.add_constraint(tbl regclass, name text, definition text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_constraint WHERE conrelid = tbl AND conname = name) THEN
    EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', tbl, name, definition);
  END IF;
END
$$;

-- Snapshots: a pinned one is never deleted (by an admin or by retention) until unpinned; a
-- label for people ('before restore of #3'); who took it (NULL: scheduled, by the tick-engine).
ALTER TABLE snapshots ADD COLUMN IF NOT EXISTS pinned BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE snapshots ADD COLUMN IF NOT EXISTS label TEXT;
ALTER TABLE snapshots ADD COLUMN IF NOT EXISTS created_by VARCHAR(20);
ALTER TABLE snapshots ADD COLUMN IF NOT EXISTS created_by_id UUID;
DO $do$ BEGIN PERFORM pg_temp.add_constraint('snapshots', 'snapshots_label_length',
  'CHECK (char_length(label) BETWEEN 1 AND 200)'); END $do$;
DO $do$ BEGIN PERFORM pg_temp.add_constraint('snapshots', 'snapshots_created_by_format',
  $c$CHECK (created_by ~ '^[a-zA-Z0-9_]{3,20}$')$c$); END $do$;
-- Retention (keep the newest K unpinned):
--   DELETE FROM snapshots WHERE NOT pinned AND id NOT IN
--     (SELECT id FROM snapshots WHERE NOT pinned ORDER BY id DESC LIMIT $k)
CREATE INDEX IF NOT EXISTS idx_snapshots_unpinned ON snapshots (id DESC) WHERE NOT pinned;

-- A pinned snapshot survives any DELETE, whoever runs it (a retention job that knows nothing
-- of pins included): the row is skipped, not an error, so such a job's statement still removes
-- the others. The console checks `pinned` itself first and answers 409; DELETE ... RETURNING
-- returning no row tells it the row was pinned meanwhile.
CREATE OR REPLACE FUNCTION snapshots_keep_pinned() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.pinned THEN
    RETURN NULL;
  END IF;
  RETURN OLD;
END
$$;
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_trigger WHERE tgrelid = 'snapshots'::regclass AND tgname = 'snapshots_keep_pinned') THEN
    CREATE TRIGGER snapshots_keep_pinned BEFORE DELETE ON snapshots
      FOR EACH ROW EXECUTE FUNCTION snapshots_keep_pinned();
  END IF;
END
$$;

-- Runtime config: `revision` is the key's entity tag ("<revision>"). A trigger sets it on every
-- INSERT and UPDATE, whoever writes (the console, or another Galaxy service), from one
-- sequence: it always grows, and a key deleted and written again never gets a revision it had
-- before, so an old ETag cannot match a newer value. The console's conditional write:
--   UPDATE game_config SET value = $v, updated_at = NOW() WHERE key = $k AND revision = $etag
--   RETURNING revision           -- no row: 412 (or 404 when the key is unknown)
CREATE SEQUENCE IF NOT EXISTS game_config_revision_seq AS BIGINT;
ALTER TABLE game_config ADD COLUMN IF NOT EXISTS revision BIGINT NOT NULL DEFAULT nextval('game_config_revision_seq');
-- The default only numbers the rows there already are; from now on the trigger does (a default
-- would be evaluated with the writer's rights, and the api-gateway has none on the sequence).
ALTER TABLE game_config ALTER COLUMN revision DROP DEFAULT;
CREATE OR REPLACE FUNCTION game_config_bump_revision() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  NEW.revision := nextval('public.game_config_revision_seq');
  RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION game_config_bump_revision() FROM PUBLIC;
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_trigger WHERE tgrelid = 'game_config'::regclass AND tgname = 'game_config_bump_revision') THEN
    CREATE TRIGGER game_config_bump_revision BEFORE INSERT OR UPDATE ON game_config
      FOR EACH ROW EXECUTE FUNCTION game_config_bump_revision();
  END IF;
END
$$;

-- The api-gateway lists, takes (the reference gateway does; Galaxy's may ask the tick-engine),
-- pins, labels and deletes snapshots, and reads, sets and resets runtime config.
GRANT SELECT, INSERT, DELETE ON snapshots TO galaxy_admin_api;
GRANT UPDATE (pinned, label, created_by, created_by_id) ON snapshots TO galaxy_admin_api;
GRANT USAGE ON SEQUENCE snapshots_id_seq TO galaxy_admin_api;
GRANT SELECT, INSERT, UPDATE, DELETE ON game_config TO galaxy_admin_api;
