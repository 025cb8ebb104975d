-- 0009: console sessions, one row per sign-in, read by every api-gateway replica at each
-- request, so a session ended through one is refused by all at its next one. Idempotent.

SET client_min_messages = warning;

CREATE TABLE IF NOT EXISTS admin_sessions (
  id UUID PRIMARY KEY,                          -- the `sid` claim of the session's tokens
  admin_id UUID NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  -- Written at most once a minute per session (the reads are what every request does):
  --   UPDATE admin_sessions SET last_seen_at = $now WHERE id = $id
  --   AND last_seen_at < $now - INTERVAL '1 minute'
  last_seen_at TIMESTAMP WITH TIME ZONE NOT NULL,
  expires_at TIMESTAMP WITH TIME ZONE NOT NULL, -- the token's `exp`
  address TEXT NOT NULL,                        -- the client address it signed in from
  device TEXT NOT NULL,                         -- the User-Agent, at most 200 characters
  ended_at TIMESTAMP WITH TIME ZONE,            -- NULL while live
  end_reason TEXT,
  CONSTRAINT admin_sessions_device_length CHECK (char_length(device) <= 200)
);

-- An account's sessions, newest first ("Your sessions", ending them all).
CREATE INDEX IF NOT EXISTS idx_admin_sessions_admin ON admin_sessions (admin_id, created_at DESC);

-- Rows of sessions expired or ended long ago can be deleted by the owner at any time, e.g.
--   DELETE FROM admin_sessions WHERE expires_at < NOW() - INTERVAL '30 days';
GRANT SELECT, INSERT, UPDATE, DELETE ON admin_sessions TO galaxy_admin_api;
