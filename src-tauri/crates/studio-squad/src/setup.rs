//! Creating the JetStream resources that squads use. Every call is idempotent, so the control
//! plane and each worker can run it at start without coordinating.
//!
//! - jobs: a work-queue stream (a job is deleted once acked, so each is run by one worker), file
//!   storage (jobs survive a broker restart), and a duplicate window for `Nats-Msg-Id`;
//! - events: a plain stream, file storage, read by the control plane;
//! - heartbeats: a KV bucket whose entries expire, so a silent worker disappears by itself;
//! - started markers: a KV bucket of create-only keys, kept long enough to outlive redeliveries.

use std::time::Duration;

use async_nats::jetstream::{
    context::Context,
    kv,
    stream::{self, DiscardPolicy, RetentionPolicy, StorageType},
};

use crate::subjects::{
    EVENTS_STREAM, EVENTS_SUBJECTS, HEARTBEATS_BUCKET, JOBS_STREAM, JOBS_SUBJECTS, STARTED_BUCKET,
};
use crate::{Result, SquadError};

/// The tunable parts of the resources.
#[derive(Debug, Clone)]
pub struct SquadConfig {
    /// How long the broker remembers an idempotency key of a job or event.
    pub duplicate_window: Duration,
    /// How long a heartbeat stays visible without being renewed.
    pub heartbeat_ttl: Duration,
    /// How long a started marker is kept.
    pub started_ttl: Duration,
}

impl Default for SquadConfig {
    fn default() -> Self {
        Self {
            duplicate_window: Duration::from_secs(120),
            heartbeat_ttl: Duration::from_secs(30),
            started_ttl: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// The broker handles of a squad: the streams and KV buckets, all created.
#[derive(Clone)]
pub struct Squad {
    pub js: Context,
    pub jobs: stream::Stream,
    pub events: stream::Stream,
    pub heartbeats: kv::Store,
    pub started: kv::Store,
}

impl Squad {
    /// Creates what is missing and returns the handles. An existing stream is used as it is;
    /// a KV bucket is brought to `config` (its TTL may change between versions).
    pub async fn ensure(js: Context, config: &SquadConfig) -> Result<Self> {
        // Two processes starting at once race to create the same streams; the loser's create
        // fails ("subjects overlap") though the stream is there: look again.
        let mut tries = 0;
        loop {
            match Self::ensure_once(js.clone(), config).await {
                Err(SquadError::JetStream { .. }) if tries < 5 => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(100 * tries)).await;
                }
                done => return done,
            }
        }
    }

    async fn ensure_once(js: Context, config: &SquadConfig) -> Result<Self> {
        let jobs = js
            .get_or_create_stream(stream::Config {
                name: JOBS_STREAM.into(),
                description: Some("Mission Studio jobs, one subject per department".into()),
                subjects: vec![JOBS_SUBJECTS.into()],
                retention: RetentionPolicy::WorkQueue,
                storage: StorageType::File,
                duplicate_window: config.duplicate_window,
                ..Default::default()
            })
            .await
            .map_err(SquadError::js("create the jobs stream"))?;
        let events = js
            .get_or_create_stream(stream::Config {
                name: EVENTS_STREAM.into(),
                description: Some("Mission Studio events sent back by workers".into()),
                subjects: vec![EVENTS_SUBJECTS.into()],
                retention: RetentionPolicy::Limits,
                storage: StorageType::File,
                duplicate_window: config.duplicate_window,
                ..Default::default()
            })
            .await
            .map_err(SquadError::js("create the events stream"))?;
        let heartbeats = bucket(
            &js,
            HEARTBEATS_BUCKET,
            config.heartbeat_ttl,
            "worker heartbeats",
        )
        .await?;
        let started = bucket(&js, STARTED_BUCKET, config.started_ttl, "started markers").await?;
        Ok(Self {
            js,
            jobs,
            events,
            heartbeats,
            started,
        })
    }
}

/// Creates (or brings to `max_age`) the stream behind a KV bucket, then opens the bucket.
///
/// The stream is laid out the way KV clients expect (`KV_<bucket>`, subjects `$KV.<bucket>.>`,
/// one value per key, rollups allowed, direct gets). It is made here rather than with the
/// client's bucket creation because that one first asks for the account's limits in a form a
/// 2.9 server (Debian 12's) does not send.
pub(crate) async fn bucket(
    js: &Context,
    name: &str,
    max_age: Duration,
    what: &str,
) -> Result<kv::Store> {
    let action = format!("create the {what} bucket");
    let config = stream::Config {
        name: format!("KV_{name}"),
        description: Some(format!("Mission Studio {what}")),
        subjects: vec![format!("$KV.{name}.>")],
        max_messages_per_subject: 1,
        max_age,
        storage: StorageType::File,
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        discard: DiscardPolicy::New,
        ..Default::default()
    };
    let mut existing = js
        .get_or_create_stream(config.clone())
        .await
        .map_err(SquadError::js(action.clone()))?;
    let current = existing
        .info()
        .await
        .map_err(SquadError::js(action.clone()))?
        .config
        .max_age;
    if current != max_age {
        js.update_stream(&config)
            .await
            .map_err(SquadError::js(action.clone()))?;
    }
    js.get_key_value(name).await.map_err(SquadError::js(action))
}
