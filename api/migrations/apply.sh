#!/bin/sh
# Applies api/migrations/NNNN_*.sql in order to the database psql reaches with its usual
# environment (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD), as the owner (Galaxy's
# `galaxy`). Each file runs in one transaction, together with its row in schema_migrations
# (version, name, sha256 of the file); a failure stops here and leaves that file undone.
# Every file is idempotent, so running this again applies nothing new and changes nothing; a
# file whose checksum differs from the ledger's is applied again and its row updated.
# POSIX sh and psql only, as in Galaxy's db-migration Job (postgres:16-alpine).
#   api/migrations/apply.sh [psql options, e.g. -d galaxy]
set -eu
dir=$(cd "$(dirname "$0")" && pwd)
for file in "$dir"/[0-9][0-9][0-9][0-9]_*.sql; do
    name=$(basename "$file")
    version=${name%%_*}
    sum=$(sha256sum "$file" | cut -d' ' -f1)
    psql -X -q -v ON_ERROR_STOP=1 --single-transaction "$@" -f "$file" \
        -c "INSERT INTO schema_migrations (version, name, checksum) VALUES ('$version', '$name', '$sum')
            ON CONFLICT (version) DO UPDATE SET name = EXCLUDED.name, checksum = EXCLUDED.checksum, applied_at = NOW()
            WHERE schema_migrations.checksum <> EXCLUDED.checksum"
    echo "applied $name ($sum)"
done
