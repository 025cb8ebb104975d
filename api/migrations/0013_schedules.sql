-- 0013: scheduled operations (pause, resume, snapshot, configuration, messages to players) and
-- their runs, shared by every api-gateway replica, which run each step exactly once between
-- them (gateway/src/store/schedules.rs). Idempotent.

SET client_min_messages = warning;

CREATE TABLE IF NOT EXISTS admin_schedules (
  id UUID PRIMARY KEY,
  name TEXT NOT NULL,
  -- The IANA zone the operator entered times in; cron expressions are read in it.
  time_zone TEXT NOT NULL,
  -- {"type": "once", "at": "2026-12-08T04:00"} or {"type": "cron", "expression": "0 4 * * *"}
  timing JSONB NOT NULL,
  -- [{"offset_seconds": -600, "action": {"type": "message", "text": ...}, "on_failure": "continue"}, ...]
  steps JSONB NOT NULL,
  enabled BOOLEAN NOT NULL,
  -- The account that last saved it, whose role its steps run with. No foreign key: a schedule
  -- whose owner was deleted stays listed and its steps are refused, visibly, until an
  -- operator takes it over or cancels it.
  owner_id UUID NOT NULL,
  owner_username TEXT NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
  -- Bumped by every change: an edit names the revision it was made from.
  revision INTEGER NOT NULL,
  -- The next occurrence not started yet (UTC), and when its first step is due: a replica
  -- starts an occurrence with UPDATE ... SET next_at = <following> WHERE id = $1 AND
  -- next_at = <the one it read>, so only one of them does.
  next_at TIMESTAMP WITH TIME ZONE,
  next_due_at TIMESTAMP WITH TIME ZONE,
  CONSTRAINT admin_schedules_name_check CHECK (char_length(name) BETWEEN 1 AND 100),
  CONSTRAINT admin_schedules_steps_check CHECK (jsonb_typeof(steps) = 'array'),
  CONSTRAINT admin_schedules_due_check CHECK ((next_at IS NULL) = (next_due_at IS NULL))
);

CREATE INDEX IF NOT EXISTS idx_admin_schedules_due ON admin_schedules (next_due_at) WHERE enabled;

CREATE TABLE IF NOT EXISTS admin_schedule_runs (
  id BIGSERIAL PRIMARY KEY,
  -- No foreign key: the runs of a cancelled schedule stay as its record.
  schedule_id UUID NOT NULL,
  schedule_name TEXT NOT NULL,
  -- The occurrence's time; each step is due at this plus its offset.
  occurrence_at TIMESTAMP WITH TIME ZONE NOT NULL,
  trigger TEXT NOT NULL,
  started_by TEXT NOT NULL,
  owner_id UUID NOT NULL,
  owner_username TEXT NOT NULL,
  status TEXT NOT NULL,
  -- The steps as they were when the run started, and one outcome per step taken, in order.
  steps JSONB NOT NULL,
  outcomes JSONB NOT NULL DEFAULT '[]',
  missed_occurrences INTEGER NOT NULL DEFAULT 0,
  -- The step a replica has claimed and is running: claimed only while no other claim is held
  -- and every earlier step has its outcome; its outcome is recorded only under the claim.
  claimed_step INTEGER,
  claimed_at TIMESTAMP WITH TIME ZONE,
  CONSTRAINT admin_schedule_runs_trigger_check CHECK (trigger IN ('scheduled', 'manual')),
  CONSTRAINT admin_schedule_runs_status_check
    CHECK (status IN ('running', 'succeeded', 'failed', 'missed', 'cancelled')),
  CONSTRAINT admin_schedule_runs_claim_check CHECK ((claimed_step IS NULL) = (claimed_at IS NULL))
);

-- One run per occurrence, whichever replica starts it.
CREATE UNIQUE INDEX IF NOT EXISTS idx_admin_schedule_runs_occurrence
  ON admin_schedule_runs (schedule_id, occurrence_at) WHERE trigger = 'scheduled';
CREATE INDEX IF NOT EXISTS idx_admin_schedule_runs_running ON admin_schedule_runs (id) WHERE status = 'running';
CREATE INDEX IF NOT EXISTS idx_admin_schedule_runs_schedule ON admin_schedule_runs (schedule_id, id DESC);

-- Schedules are audit targets.
ALTER TABLE admin_audit DROP CONSTRAINT IF EXISTS admin_audit_target_type;
ALTER TABLE admin_audit ADD CONSTRAINT admin_audit_target_type
  CHECK (target_type IN ('game', 'config', 'snapshot', 'player', 'account', 'service', 'schedule'));

GRANT SELECT, INSERT, UPDATE, DELETE ON admin_schedules TO galaxy_admin_api;
GRANT SELECT, INSERT, UPDATE ON admin_schedule_runs TO galaxy_admin_api;
GRANT USAGE ON SEQUENCE admin_schedule_runs_id_seq TO galaxy_admin_api;
