//! The storage seam. Handlers read and change the console's state through the operations of
//! [`memory::World`], holding its lock for a few microseconds; that in-memory store is the
//! embedded default (`make dev`, the tests) and loses everything on restart. A PostgreSQL
//! store for Galaxy's database is to implement the same operations with the same domain rules
//! (`crate::domain`) and refusals (`crate::domain::error::Rejected`), so the HTTP layer does not
//! change with the store; it is not written yet (the schema it needs is `api/migrations/`).
//!
//! The history has its own seam, [`history::Source`]: the ring the gateway samples into the
//! world, or the Prometheus Galaxy already runs ([`prometheus`]).
//!
//! A store may use the domain and the settings, never the HTTP layer.

pub mod history;
pub mod memory;
pub mod prometheus;
