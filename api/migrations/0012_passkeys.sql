-- 0012: passkeys and security keys (WebAuthn) as a second factor of console accounts, and the
-- ceremonies in flight, which any api-gateway replica may finish. Idempotent.

SET client_min_messages = warning;

CREATE TABLE IF NOT EXISTS admin_passkeys (
  id UUID PRIMARY KEY,
  -- A passkey is a factor of its account and goes with it.
  admin_id UUID NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
  -- The authenticator's id for the credential, as it sends it back at each use; unique across
  -- the relying party, as WebAuthn requires (a second registration of one is refused).
  credential_id BYTEA NOT NULL UNIQUE,
  -- What its owner called it ("YubiKey 5", "Laptop"), to tell passkeys apart in lists.
  name TEXT NOT NULL,
  -- The public key and the extensions fixed at registration, in webauthn_rp's encoding: no
  -- secret (an authenticator never gives out its private key).
  public_key BYTEA NOT NULL,
  -- The signature counter and backup flags, rewritten when an assertion changes them.
  dynamic_state BYTEA NOT NULL,
  -- How the browser may reach the authenticator (USB, NFC, BLE, internal), as a bit set.
  transports SMALLINT NOT NULL DEFAULT 0,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  last_used_at TIMESTAMP WITH TIME ZONE,
  CONSTRAINT admin_passkeys_name_check CHECK (char_length(name) BETWEEN 1 AND 64),
  CONSTRAINT admin_passkeys_credential_check CHECK (octet_length(credential_id) BETWEEN 16 AND 1023)
);

-- An account's passkeys (listing them, offering them at sign-in, counting its factors).
CREATE INDEX IF NOT EXISTS idx_admin_passkeys_admin ON admin_passkeys (admin_id, created_at);

-- A ceremony started by one replica and finished, once, by whichever gets the browser's answer:
--   DELETE FROM admin_passkey_ceremonies WHERE challenge = $1 AND expires_at > NOW() RETURNING ...
-- so a challenge answered twice is refused the second time. Expired rows are deleted as new
-- ceremonies start.
CREATE TABLE IF NOT EXISTS admin_passkey_ceremonies (
  -- The 128-bit random challenge the authenticator signs.
  challenge UUID PRIMARY KEY,
  admin_id UUID NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
  purpose TEXT NOT NULL,
  -- webauthn_rp's server state: the challenge, the options it checks the answer against and
  -- (for an assertion) the credentials allowed.
  state BYTEA NOT NULL,
  expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
  CONSTRAINT admin_passkey_ceremonies_purpose_check CHECK (purpose IN ('register', 'sign_in', 'confirm'))
);

CREATE INDEX IF NOT EXISTS idx_admin_passkey_ceremonies_expiry ON admin_passkey_ceremonies (expires_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON admin_passkeys TO galaxy_admin_api;
GRANT SELECT, INSERT, DELETE ON admin_passkey_ceremonies TO galaxy_admin_api;
