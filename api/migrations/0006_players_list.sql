-- 0006: the players list's order as the console pages it. Idempotent.
--
-- The console sorts players by username case-insensitively, byte by byte ("C" collation, so
-- the order does not depend on the database's locale and is the one every replica and the
-- cursors agree on), the id breaking ties:
--   ORDER BY lower(username) COLLATE "C", id   (descending: DESC, DESC)
--   next page:  WHERE (lower(username) COLLATE "C", id) > ($last_name, $last_id)
-- 0003's (username, id) index serves a case-sensitive order in the database's collation,
-- which is not this one; this index serves the list at any depth. CONCURRENTLY is not used so
-- the file can run in apply.sh's transaction: on Galaxy's players table (one row per player)
-- the build is short, and it blocks only writes to `players` meanwhile.

-- A second run's "already exists, skipping" notice is expected; keep the output to warnings.
SET client_min_messages = warning;

CREATE INDEX IF NOT EXISTS idx_players_name_order ON players ((lower(username) COLLATE "C"), id);
