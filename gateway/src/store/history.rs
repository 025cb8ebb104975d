//! Where the history endpoint reads from: the in-process ring (the embedded default, for
//! `make dev` and the tests) or, when a URL is configured, the Prometheus Galaxy runs. Both
//! give the same buckets for the same samples; only Prometheus keeps them across restarts.

use std::sync::Mutex;

use crate::domain::history::{bucket_seconds, downsample, Bucket, Range};
use crate::store::memory::{lock, World};
use crate::store::prometheus::{self, Prometheus};

#[derive(Debug, Clone)]
pub enum Source {
    /// The gateway's own samples, every `interval_secs`, kept for a day in memory.
    Ring { interval_secs: u32 },
    /// Prometheus's samples of the game's metrics (see [`prometheus`]).
    Prometheus(Prometheus),
}

/// A range of the history, downsampled.
#[derive(Debug, Clone, PartialEq)]
pub struct Read {
    pub sample_seconds: u32,
    pub bucket_seconds: i64,
    pub buckets: Vec<Bucket>,
}

impl Source {
    pub fn new(interval_secs: u32, prometheus: Option<Prometheus>) -> Self {
        match prometheus {
            Some(p) => Source::Prometheus(p),
            None => Source::Ring {
                interval_secs: interval_secs.max(1),
            },
        }
    }

    /// Seconds between two samples: the ring's interval or Prometheus's scrape interval.
    pub fn sample_secs(&self) -> u32 {
        match self {
            Source::Ring { interval_secs } => *interval_secs,
            Source::Prometheus(p) => p.scrape_secs(),
        }
    }

    /// Whether the gateway's sampler feeds what this source reads.
    pub fn is_ring(&self) -> bool {
        matches!(self, Source::Ring { .. })
    }

    /// `range` ending at `to` (Unix seconds), from `since`'s bucket on: the samples from
    /// `to - range` to `to` in buckets of [`bucket_seconds`].
    pub async fn read(
        &self,
        world: &Mutex<World>,
        range: Range,
        to: i64,
        since: Option<i64>,
    ) -> Result<Read, prometheus::Error> {
        let sample_seconds = self.sample_secs();
        let bucket = bucket_seconds(range.seconds(), sample_seconds);
        let from = to - range.seconds();
        let buckets = match self {
            Source::Ring { .. } => downsample(lock(world).history.iter(), from, to, bucket, since),
            Source::Prometheus(p) => p.buckets(from, to, bucket, since).await?,
        };
        Ok(Read {
            sample_seconds,
            bucket_seconds: bucket,
            buckets,
        })
    }
}
