//! `NOTIFY` and `LISTEN`: messages to every connected replica, on a connection of its own
//! (a pooled one would be recycled and lose its `LISTEN`).

use std::time::Duration;

use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, NoTls};

use super::{unavailable, Postgres};
use crate::store::StoreResult;

/// A connection listening on one channel: its messages' payloads, in the order sent.
pub struct Subscription {
    /// Kept open: dropping the client ends the connection.
    _client: tokio_postgres::Client,
    payloads: mpsc::UnboundedReceiver<String>,
    connection: tokio::task::JoinHandle<String>,
}

impl Subscription {
    /// The next payload; `None` once the connection has ended.
    pub async fn next(&mut self) -> Option<String> {
        self.payloads.recv().await
    }

    /// Why the connection ended.
    pub async fn ended(self) -> String {
        self.connection
            .await
            .unwrap_or_else(|e| format!("the listening task failed: {e}"))
    }
}

impl Postgres {
    pub async fn notify(&self, channel: &str, payload: &str) -> StoreResult<()> {
        let client = self.client().await?;
        client
            .execute("SELECT pg_notify($1, $2)", &[&channel, &payload])
            .await
            .map(drop)
            .map_err(unavailable)
    }

    /// A new connection that listens on `channel` once this returns. It only ever receives, so
    /// TCP keepalives (first probe after 10 s idle, then every 5 s, 3 unanswered end it)
    /// notice a peer gone without a word (a node lost, a dropped route) within about 25 s,
    /// rather than the system default of over two hours.
    pub async fn subscribe(&self, channel: &str) -> Result<Subscription, String> {
        let mut config = (*self.config).clone();
        config
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(10))
            .keepalives_interval(Duration::from_secs(5))
            .keepalives_retries(3);
        let (client, mut connection) = config
            .connect(NoTls)
            .await
            .map_err(|e| format!("cannot connect: {e}"))?;
        let (sender, payloads) = mpsc::unbounded_channel();
        let connection = tokio::spawn(async move {
            loop {
                match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                    Some(Ok(AsyncMessage::Notification(n))) => {
                        if sender.send(n.payload().to_owned()).is_err() {
                            return "no longer read".to_owned();
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return e.to_string(),
                    None => return "the server closed the connection".to_owned(),
                }
            }
        });
        // A channel is an identifier; ours are constants of lowercase letters and underscores.
        assert!(channel.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
        client
            .batch_execute(&format!("LISTEN {channel}"))
            .await
            .map_err(|e| format!("cannot listen: {e}"))?;
        Ok(Subscription {
            _client: client,
            payloads,
            connection,
        })
    }
}
