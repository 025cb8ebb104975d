-- 0003: moderation: bans and notes on Galaxy's `players`, and the indexes the players list
-- needs (substring search, keyset paging). Idempotent.

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

-- Players list. Search is a case-insensitive substring of the username:
--   WHERE username ILIKE '%' || $search || '%'     ($search with \, % and _ escaped by a \)
-- served by this trigram index (a term of 3 characters or more; a shorter one scans the index).
CREATE INDEX IF NOT EXISTS idx_players_username_trgm ON players USING gin (username gin_trgm_ops);
-- Keyset paging, by username or by creation time, the id breaking ties:
--   WHERE (username, id) > ($last_username, $last_id) ORDER BY username, id LIMIT $n
--   WHERE (created_at, id) > ($last_created_at, $last_id) ORDER BY created_at, id LIMIT $n
-- (descending: < and DESC, the same indexes backwards). `created_at` is nullable in Galaxy's
-- schema though always defaulted; rows without one sort last and are paged by id alone.
CREATE INDEX IF NOT EXISTS idx_players_username_id ON players (username, id);
CREATE INDEX IF NOT EXISTS idx_players_created_at_id ON players (created_at, id);

-- Bans: a record apart from the player's row, kept after it ends (who lifted it, or that it
-- expired). A ban is open until it ends: lifted by an operator, replaced by a new ban, or
-- expired (recorded once, by whichever replica gets the row first:
--   UPDATE player_bans SET ended_at = until, end_reason = 'expired'
--    WHERE ended_at IS NULL AND until <= NOW() RETURNING ...
-- inserting the `player.ban_expired` audit entries from the RETURNING rows in the same
-- statement or transaction; a second replica's identical UPDATE waits on the row lock, then
-- finds ended_at set and skips it).
-- A player is banned at time t when a ban is open and (until IS NULL OR until > t); login and
-- WebSocket connect check exactly that.
CREATE TABLE IF NOT EXISTS player_bans (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  player_id UUID NOT NULL REFERENCES players (id) ON DELETE CASCADE,
  reason TEXT NOT NULL,
  banned_by VARCHAR(20) NOT NULL,               -- the account's username, as the audit names it
  banned_by_id UUID NOT NULL,                   -- no foreign key: accounts may be deleted
  banned_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  until TIMESTAMP WITH TIME ZONE,               -- NULL: permanent
  ended_at TIMESTAMP WITH TIME ZONE,            -- NULL: open
  end_reason VARCHAR(16),                       -- lifted, replaced or expired
  ended_by VARCHAR(20),                         -- who lifted or replaced it; NULL when expired
  ended_by_id UUID,
  CONSTRAINT player_bans_reason_length CHECK (char_length(reason) BETWEEN 1 AND 500 AND reason ~ '\S'),
  CONSTRAINT player_bans_until_after_start CHECK (until IS NULL OR until > banned_at),
  CONSTRAINT player_bans_end_reason CHECK (end_reason IN ('lifted', 'replaced', 'expired')),
  CONSTRAINT player_bans_ended_consistently CHECK ((ended_at IS NULL) = (end_reason IS NULL)),
  CONSTRAINT player_bans_expired_has_until CHECK (end_reason IS DISTINCT FROM 'expired' OR until IS NOT NULL)
);
-- At most one open ban per player: banning again ends the open one ('replaced') first, in the
-- same transaction.
CREATE UNIQUE INDEX IF NOT EXISTS uq_player_bans_one_open ON player_bans (player_id) WHERE ended_at IS NULL;
-- The expiry sweep above.
CREATE INDEX IF NOT EXISTS idx_player_bans_open_until ON player_bans (until) WHERE ended_at IS NULL AND until IS NOT NULL;
-- A player's bans, newest first.
CREATE INDEX IF NOT EXISTS idx_player_bans_player ON player_bans (player_id, banned_at DESC);

-- Notes on a player, newest first with their author.
CREATE TABLE IF NOT EXISTS player_notes (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  player_id UUID NOT NULL REFERENCES players (id) ON DELETE CASCADE,
  text TEXT NOT NULL,
  author VARCHAR(20) NOT NULL,
  author_id UUID NOT NULL,                      -- no foreign key: accounts may be deleted
  created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  CONSTRAINT player_notes_text_length CHECK (char_length(text) BETWEEN 1 AND 2000 AND text ~ '\S')
);
CREATE INDEX IF NOT EXISTS idx_player_notes_player ON player_notes (player_id, created_at DESC, id DESC);

-- The usernames the console writes are account usernames, as `admins` requires them.
DO $do$ BEGIN PERFORM pg_temp.add_constraint('player_bans', 'player_bans_by_format',
  $c$CHECK (banned_by ~ '^[a-zA-Z0-9_]{3,20}$' AND (ended_by IS NULL OR ended_by ~ '^[a-zA-Z0-9_]{3,20}$'))$c$); END $do$;
DO $do$ BEGIN PERFORM pg_temp.add_constraint('player_notes', 'player_notes_author_format',
  $c$CHECK (author ~ '^[a-zA-Z0-9_]{3,20}$')$c$); END $do$;

-- The api-gateway reads and deletes players (Galaxy's players service creates them), bans
-- and ends bans (only the ending columns are writable: a ban's reason, author and times are
-- history), and adds notes (never edits or deletes one; they go with their player).
GRANT SELECT, DELETE ON players TO galaxy_admin_api;
GRANT SELECT, INSERT ON player_bans TO galaxy_admin_api;
GRANT UPDATE (ended_at, end_reason, ended_by, ended_by_id) ON player_bans TO galaxy_admin_api;
GRANT SELECT, INSERT ON player_notes TO galaxy_admin_api;
