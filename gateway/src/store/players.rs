//! The players list, a player, and the export, from whichever store holds the players: the
//! world's simulated players (the embedded default), or Galaxy's `players` table with the bans
//! of `player_bans`, so every replica lists the same players and a player deleted through one
//! is gone from all.
//!
//! Whether a player is online is the simulated game's in either case (in Galaxy, the players
//! service's and Redis's): the world's flags, for the players it simulates.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use uuid::Uuid;

use crate::domain::keyset::{self, Boundary, Found, Position, Window};
use crate::domain::player_list::{ListedPlayer, PlayerPage, PlayerQuery, SortKey};
use crate::store::memory::{lock, World};
use crate::store::postgres::Postgres;
use crate::store::StoreResult;

#[derive(Clone)]
pub enum Players {
    Memory(Arc<Mutex<World>>),
    Postgres(Postgres, Arc<Mutex<World>>),
}

/// The indices of the world's players `query` selects, in its order.
fn matching(world: &World, query: &PlayerQuery) -> Vec<usize> {
    let bans = world.active_bans();
    let players = &world.players;
    let mut found: Vec<usize> = (0..players.len())
        .filter(|&i| query.matches(&players[i], bans.contains_key(&players[i].id)))
        .collect();
    if query.by_created_at {
        found.sort_by_key(|&i| (players[i].created_at, players[i].id));
    } else {
        found.sort_by_cached_key(|&i| (players[i].username.to_lowercase(), players[i].id));
    }
    if query.descending {
        found.reverse();
    }
    found
}

fn listed(world: &World, index: usize) -> ListedPlayer {
    let player = world.players[index].clone();
    let ban = world.active_ban(player.id).cloned();
    ListedPlayer { player, ban }
}

/// The ids of the players the world simulates as online now.
fn online_ids(world: &Arc<Mutex<World>>) -> Vec<Uuid> {
    lock(world)
        .players
        .iter()
        .filter(|p| p.online)
        .map(|p| p.id)
        .collect()
}

/// The ban clock now and the players online, each under the world's lock in turn (a second
/// lock while the first is held would wait for ever).
fn now_and_online(world: &Arc<Mutex<World>>) -> (time::OffsetDateTime, Vec<Uuid>) {
    let now = lock(world).ban_clock();
    (now, online_ids(world))
}

impl Players {
    /// The page `at` of the players `query` selects, `limit` rows.
    pub async fn page(
        &self,
        query: &PlayerQuery,
        at: &PlayerPage,
        limit: usize,
    ) -> StoreResult<Found<ListedPlayer>> {
        match self {
            Players::Memory(world) => {
                let world = lock(world);
                let found = matching(&world, query);
                let key = |i: usize| query.key(&world.players[found[i]]);
                let window = match at {
                    PlayerPage::First { offset } if *offset > 0 => {
                        keyset::offset_window(found.len(), *offset, limit)
                    }
                    _ => memory_window(found.len(), at, limit, key, query.descending),
                };
                Ok(Found {
                    items: found[window.range.clone()]
                        .iter()
                        .map(|&i| listed(&world, i))
                        .collect(),
                    matching: found.len(),
                    has_previous: window.has_previous,
                    has_next: window.has_next,
                })
            }
            Players::Postgres(pg, world) => {
                let (now, online) = now_and_online(world);
                pg.players_page(query, at, limit, now, &online).await
            }
        }
    }

    /// Player `id` as the API shows it, if there is one.
    pub async fn get(&self, id: Uuid) -> StoreResult<Option<ListedPlayer>> {
        match self {
            Players::Memory(world) => {
                let world = lock(world);
                Ok(world.player_index(id).map(|i| listed(&world, i)))
            }
            Players::Postgres(pg, world) => {
                let (now, online) = now_and_online(world);
                pg.player(id, now, &online).await
            }
        }
    }

    /// Which of `ids` name a player there is (for audit entries' `target_exists`).
    pub async fn existing(&self, ids: &[Uuid]) -> StoreResult<HashSet<Uuid>> {
        match self {
            Players::Memory(world) => {
                let world = lock(world);
                Ok(ids
                    .iter()
                    .copied()
                    .filter(|id| world.player_index(*id).is_some())
                    .collect())
            }
            Players::Postgres(pg, _) => pg.existing_players(ids).await,
        }
    }

    /// The export of what `query` selects, unless more than `cap` players match (then how
    /// many, counted up to `cap + 1`).
    pub async fn export(
        &self,
        query: &PlayerQuery,
        cap: usize,
    ) -> StoreResult<Result<Export, usize>> {
        match self {
            Players::Memory(world) => {
                let ids: Vec<Uuid> = {
                    let world = lock(world);
                    let found = matching(&world, query);
                    if found.len() > cap {
                        return Ok(Err(found.len()));
                    }
                    found.iter().map(|&i| world.players[i].id).collect()
                };
                Ok(Ok(Export::Memory {
                    world: world.clone(),
                    ids,
                    next: 0,
                }))
            }
            Players::Postgres(pg, world) => {
                let now = lock(world).ban_clock();
                let matching = pg
                    .count_players(query, cap + 1, now, &online_ids(world))
                    .await?;
                if matching > cap {
                    return Ok(Err(matching));
                }
                Ok(Ok(Export::Postgres {
                    pg: pg.clone(),
                    world: world.clone(),
                    query: query.clone(),
                    after: None,
                    done: false,
                }))
            }
        }
    }
}

/// An export under way: its rows, chunk by chunk, so its memory does not grow with them.
pub enum Export {
    /// The matching ids, fixed when the export began; each row as it is when its chunk is
    /// read, a player deleted meanwhile left out.
    Memory {
        world: Arc<Mutex<World>>,
        ids: Vec<Uuid>,
        next: usize,
    },
    /// Keyset pages in the list's order, each after the last row of the one before.
    Postgres {
        pg: Postgres,
        world: Arc<Mutex<World>>,
        query: PlayerQuery,
        after: Option<SortKey>,
        done: bool,
    },
}

impl Export {
    /// Up to `rows` more rows; `None` once the export is through.
    pub async fn next_chunk(&mut self, rows: usize) -> StoreResult<Option<Vec<ListedPlayer>>> {
        match self {
            Export::Memory { world, ids, next } => {
                if *next >= ids.len() {
                    return Ok(None);
                }
                let end = (*next + rows).min(ids.len());
                let world = lock(world);
                let chunk = ids[*next..end]
                    .iter()
                    .filter_map(|id| world.player_index(*id).map(|i| listed(&world, i)))
                    .collect();
                *next = end;
                Ok(Some(chunk))
            }
            Export::Postgres {
                pg,
                world,
                query,
                after,
                done,
            } => {
                if *done {
                    return Ok(None);
                }
                let (now, online) = now_and_online(world);
                let chunk = pg
                    .players_chunk(query, after.as_ref(), rows, now, &online)
                    .await?;
                *done = chunk.len() < rows;
                *after = chunk.last().map(|p| query.key(&p.player));
                Ok(Some(chunk))
            }
        }
    }
}

/// The page `at` (not an offset) of a list of `len` rows in the query's order, `key(i)` row
/// `i`'s sort key.
fn memory_window(
    len: usize,
    at: &PlayerPage,
    limit: usize,
    key: impl Fn(usize) -> SortKey,
    descending: bool,
) -> Window {
    // `keyset::window` places a page by predicates on the rows; the boundary it passes them
    // is not needed here (the sort key is already decoded), so any stands in.
    let placeholder = || Boundary {
        key: Value::Null,
        id: String::new(),
    };
    let (position, boundary) = match at {
        PlayerPage::First { .. } => (Position::First, None),
        PlayerPage::Last => (Position::Last, None),
        PlayerPage::After(k) => (Position::Next(placeholder()), Some(k)),
        PlayerPage::Before(k) => (Position::Previous(placeholder()), Some(k)),
    };
    let before = |i: usize| match boundary {
        Some(b) if descending => key(i) > *b,
        Some(b) => key(i) < *b,
        None => false,
    };
    keyset::window(
        len,
        &position,
        limit,
        |i, _| before(i),
        |i, _| boundary == Some(&key(i)),
    )
}
