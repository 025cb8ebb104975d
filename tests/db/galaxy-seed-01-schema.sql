-- Galaxy's seed schema, verbatim: the `01-schema.sql` key of the postgres-init ConfigMap in
-- Galaxy's Kubernetes spec (/work/shared/seed/galaxy-kubernetes-spec.txt, section
-- "Initialization Script", lines 1524-1564 of the copy with sha256 8af037fe77...e32c),
-- indented as the spec prints it. The postgres image runs it once, as `galaxy`, on an empty
-- data directory; the tests run it the same way before api/migrations/. Do not edit: a
-- change here must be a change in Galaxy's spec.
    -- Players table
    CREATE TABLE IF NOT EXISTS players (
      id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
      username VARCHAR(20) UNIQUE NOT NULL,
      password_hash VARCHAR(255) NOT NULL,
      ship_id UUID NOT NULL DEFAULT gen_random_uuid(),
      created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),

      CONSTRAINT username_format CHECK (username ~ '^[a-zA-Z0-9_]{3,20}$')
    );

    CREATE INDEX IF NOT EXISTS idx_players_username ON players(username);
    CREATE INDEX IF NOT EXISTS idx_players_ship_id ON players(ship_id);

    -- Admins table
    CREATE TABLE IF NOT EXISTS admins (
      id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
      username VARCHAR(20) UNIQUE NOT NULL,
      password_hash VARCHAR(255) NOT NULL,
      created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),

      CONSTRAINT admin_username_format CHECK (username ~ '^[a-zA-Z0-9_]{3,20}$')
    );

    -- Snapshots table
    CREATE TABLE IF NOT EXISTS snapshots (
      id SERIAL PRIMARY KEY,
      tick_number BIGINT NOT NULL,
      game_time TIMESTAMP WITH TIME ZONE NOT NULL,
      state JSONB NOT NULL,
      created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
    );

    CREATE INDEX IF NOT EXISTS idx_snapshots_tick ON snapshots(tick_number DESC);

    -- Game config table (runtime overrides)
    CREATE TABLE IF NOT EXISTS game_config (
      key VARCHAR(50) PRIMARY KEY,
      value JSONB NOT NULL,
      updated_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
    );
