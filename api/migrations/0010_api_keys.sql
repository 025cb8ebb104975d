-- 0010: API keys for scripts and the admin CLI, read by every api-gateway replica at each
-- request a key signs. Idempotent.

SET client_min_messages = warning;

CREATE TABLE IF NOT EXISTS admin_api_keys (
  id UUID PRIMARY KEY,
  name TEXT NOT NULL,
  -- The role the key acts with: at most its creator's, when made and at every use.
  role TEXT NOT NULL,
  -- The key's first 10 characters (`gak_` and 6 more), to tell keys apart in lists.
  shown TEXT NOT NULL,
  -- SHA-256 (hex) of the whole key; the key itself is shown once and never stored. A request
  -- finds its key by this:
  --   SELECT ... FROM admin_api_keys WHERE key_hash = $hash
  key_hash TEXT NOT NULL UNIQUE,
  -- A key acts on its creator's authority: it goes with the account.
  created_by UUID NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
  -- Address blocks it may be used from (an address with its prefix length); empty: anywhere.
  allowed_addresses INET[] NOT NULL DEFAULT '{}',
  -- Written at most once a minute per key, with an `auth.api_key_use` audit entry:
  --   UPDATE admin_api_keys SET last_used_at = $now, last_used_from = $address
  --   WHERE id = $id AND (last_used_at IS NULL OR last_used_at < $now - INTERVAL '1 minute')
  last_used_at TIMESTAMP WITH TIME ZONE,
  last_used_from TEXT,
  revoked_at TIMESTAMP WITH TIME ZONE,
  revoked_by UUID REFERENCES admins (id) ON DELETE SET NULL,
  CONSTRAINT admin_api_keys_name_check CHECK (char_length(name) BETWEEN 1 AND 100),
  CONSTRAINT admin_api_keys_role_check CHECK (role IN ('viewer', 'operator', 'admin')),
  CONSTRAINT admin_api_keys_addresses_check CHECK (cardinality(allowed_addresses) <= 20),
  CONSTRAINT admin_api_keys_expiry_check CHECK (expires_at > created_at)
);

-- The keys an account made (listing one's own), newest first.
CREATE INDEX IF NOT EXISTS idx_admin_api_keys_creator ON admin_api_keys (created_by, created_at DESC);

-- Rows of keys expired or revoked long ago can be deleted by the owner at any time, e.g.
--   DELETE FROM admin_api_keys WHERE expires_at < NOW() - INTERVAL '90 days';
GRANT SELECT, INSERT, UPDATE ON admin_api_keys TO galaxy_admin_api;
