//! The reference's seeded players written into Galaxy's `players` table, as Galaxy's players
//! service would have created them, so a gateway on PostgreSQL finds in the database the
//! players it simulates (their bans and notes reference them). For tests and local runs only:
//! it connects as a role that may insert players (the owner), which the gateway's own role
//! may not.

use tokio_postgres::NoTls;
use uuid::Uuid;

use crate::domain::players::Player;

/// A `password_hash` no password verifies against: seeded players cannot sign in to the game.
const NO_PASSWORD: &str = "!seeded";

/// Inserts `players` not already there (by id) into the database at `url`; the number added.
pub async fn seed_players(url: &str, players: &[Player]) -> Result<u64, String> {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .map_err(|e| format!("cannot connect to the database: {e}"))?;
    let connection = tokio::spawn(connection);
    let ids: Vec<Uuid> = players.iter().map(|p| p.id).collect();
    let usernames: Vec<&str> = players.iter().map(|p| p.username.as_str()).collect();
    let ships: Vec<Uuid> = players.iter().map(|p| p.ship_id).collect();
    let created: Vec<time::OffsetDateTime> = players.iter().map(|p| p.created_at).collect();
    let added = client
        .execute(
            "INSERT INTO players (id, username, password_hash, ship_id, created_at) \
             SELECT id, username, $5, ship_id, created_at \
             FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::timestamptz[]) \
               AS seeded (id, username, ship_id, created_at) \
             ON CONFLICT DO NOTHING",
            &[&ids, &usernames, &ships, &created, &NO_PASSWORD],
        )
        .await
        .map_err(|e| format!("cannot insert the seeded players: {e}"))?;
    // Statistics for the planner, as a database in service has: without them it may sort
    // the whole table for a keyset page instead of reading the list's index.
    client
        .batch_execute("ANALYZE players")
        .await
        .map_err(|e| format!("cannot analyze players: {e}"))?;
    drop(client);
    let _ = connection.await;
    Ok(added)
}
