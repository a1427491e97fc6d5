//! The transfer client's credential cache, which a refused token can invalidate.
//!
//! The SDK's own identity cache (`IdentityCache::lazy`) keeps credentials until shortly before
//! the expiry they carry, and offers no way to drop them early. So when S3 answers
//! `ExpiredToken` or `InvalidToken` (the credentials were revoked, or the clock that stamped
//! their expiry was wrong), a retry through that cache signs with the same refused token again.
//! [`S3Transfer::new`](super::S3Transfer::new) therefore gives its client this cache instead: it
//! behaves like the SDK's (one load at a time, reloaded before expiry), and
//! [`TransferCredentials::refresh`] marks the credentials in use as stale, so the retry that
//! follows loads fresh ones from the provider (the Cognito identity pool, the instance role...).
//!
//! A refresh only drops credentials loaded before the refused attempt started: when eight parts
//! in flight are all refused, the first retry loads new credentials and the other seven reuse
//! them instead of asking the provider seven more times.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_s3::config::{ConfigBag, RuntimeComponents};
use aws_smithy_runtime_api::client::identity::{
    Identity, IdentityCachePartition, IdentityFuture, ResolveCachedIdentity, ResolveIdentity,
    SharedIdentityResolver,
};

use crate::retry::CredentialRefresh;

/// Credentials are reloaded this long before they expire, at most...
const MAX_EXPIRY_BUFFER: Duration = Duration::from_secs(60);
/// ...and at most this fraction (1/4) of their lifetime before, for short-lived ones.
const EXPIRY_BUFFER_DIVISOR: u32 = 4;

/// One resolver's cached identity.
#[derive(Debug)]
struct Cached {
    identity: Identity,
    loaded_at: Instant,
    /// When to load again, from the expiry the identity carries.
    refresh_at: Option<SystemTime>,
    /// A refused request used it: load again before the next one.
    stale: bool,
}

impl Cached {
    fn usable(&self, now: SystemTime) -> bool {
        !self.stale && self.refresh_at.is_none_or(|at| now < at)
    }
}

/// The cache shared by every clone of one `S3Transfer`'s client. See the module docs.
#[derive(Debug, Default)]
pub struct TransferCredentials {
    slots: tokio::sync::Mutex<HashMap<IdentityCachePartition, Cached>>,
    loads: AtomicU64,
    refreshes: AtomicU64,
}

impl TransferCredentials {
    /// A new, empty cache.
    #[must_use]
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// How many times credentials were loaded from the provider.
    #[must_use]
    pub fn loads(&self) -> u64 {
        self.loads.load(Ordering::SeqCst)
    }

    /// How many refreshes were asked for (by refused requests).
    #[must_use]
    pub fn refreshes(&self) -> u64 {
        self.refreshes.load(Ordering::SeqCst)
    }

    /// Drop the credentials a request that started at `attempt_started` may have used: those
    /// loaded before then. Credentials loaded since are kept (another refused request already
    /// replaced them).
    pub async fn invalidate_loaded_before(&self, attempt_started: Instant) {
        self.refreshes.fetch_add(1, Ordering::SeqCst);
        let mut slots = self.slots.lock().await;
        for cached in slots.values_mut() {
            if cached.loaded_at <= attempt_started {
                cached.stale = true;
            }
        }
        tracing::info!("S3 refused the credentials: fresh ones are loaded for the retry");
    }

    async fn resolve(
        &self,
        resolver: SharedIdentityResolver,
        runtime_components: &RuntimeComponents,
        config_bag: &ConfigBag,
    ) -> Result<Identity, aws_smithy_runtime_api::box_error::BoxError> {
        let partition = resolver.cache_partition();
        // Held while loading, so concurrent requests wait for one load instead of each making
        // their own.
        let mut slots = self.slots.lock().await;
        if let Some(cached) = slots.get(&partition)
            && cached.usable(SystemTime::now())
        {
            return Ok(cached.identity.clone());
        }
        let identity = resolver
            .resolve_identity(runtime_components, config_bag)
            .await?;
        self.loads.fetch_add(1, Ordering::SeqCst);
        let now = SystemTime::now();
        let refresh_at = identity.expiration().map(|expiry| reload_time(expiry, now));
        slots.insert(
            partition,
            Cached {
                identity: identity.clone(),
                loaded_at: Instant::now(),
                refresh_at,
                stale: false,
            },
        );
        Ok(identity)
    }
}

/// When credentials loaded at `loaded` and expiring at `expiry` are loaded again: a minute
/// before, or a quarter of their lifetime before for short-lived ones.
fn reload_time(expiry: SystemTime, loaded: SystemTime) -> SystemTime {
    let lifetime = expiry.duration_since(loaded).unwrap_or_default();
    let buffer = MAX_EXPIRY_BUFFER.min(lifetime / EXPIRY_BUFFER_DIVISOR);
    expiry.checked_sub(buffer).unwrap_or(expiry)
}

/// The handle the SDK client holds (the SDK wants an owned `ResolveCachedIdentity`).
#[derive(Debug, Clone)]
pub(super) struct CacheHandle(pub(super) Arc<TransferCredentials>);

impl ResolveCachedIdentity for CacheHandle {
    fn resolve_cached_identity<'a>(
        &'a self,
        resolver: SharedIdentityResolver,
        runtime_components: &'a RuntimeComponents,
        config_bag: &'a ConfigBag,
    ) -> IdentityFuture<'a> {
        IdentityFuture::new(self.0.resolve(resolver, runtime_components, config_bag))
    }
}

/// [`CredentialRefresh`] for the retrier: a refused token drops the cached credentials.
#[derive(Debug, Clone)]
pub struct RefreshTransferCredentials(pub Arc<TransferCredentials>);

impl CredentialRefresh for RefreshTransferCredentials {
    async fn refresh(&self, attempt_started: Instant) {
        self.0.invalidate_loaded_before(attempt_started).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use aws_credential_types::Credentials;
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponentsBuilder;

    use super::*;

    /// Hands out credentials named after the call count.
    #[derive(Debug, Default)]
    struct Counting {
        calls: AtomicUsize,
        lifetime: Option<Duration>,
    }

    impl ResolveIdentity for Counting {
        fn resolve_identity<'a>(
            &'a self,
            _: &'a RuntimeComponents,
            _: &'a ConfigBag,
        ) -> IdentityFuture<'a> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            let expiry = self.lifetime.map(|l| SystemTime::now() + l);
            let credentials = Credentials::new(format!("key-{n}"), "secret", None, expiry, "test");
            IdentityFuture::ready(Ok(Identity::new(credentials, expiry)))
        }
    }

    fn key_of(identity: &Identity) -> String {
        identity
            .data::<Credentials>()
            .expect("credentials")
            .access_key_id()
            .to_owned()
    }

    fn components() -> RuntimeComponents {
        // The resolver is passed in explicitly; the components are not read.
        RuntimeComponentsBuilder::for_tests()
            .build()
            .expect("test components")
    }

    #[tokio::test]
    async fn credentials_are_loaded_once_until_a_refusal_drops_them() {
        let cache = TransferCredentials::new();
        let counting = Arc::new(Counting::default());
        let resolver = SharedIdentityResolver::new(SharedCounting(Arc::clone(&counting)));
        let (rc, cfg) = (components(), ConfigBag::base());

        let first = cache
            .resolve(resolver.clone(), &rc, &cfg)
            .await
            .expect("load");
        let again = cache
            .resolve(resolver.clone(), &rc, &cfg)
            .await
            .expect("hit");
        assert_eq!(
            (key_of(&first), key_of(&again), cache.loads()),
            ("key-1".to_owned(), "key-1".to_owned(), 1),
            "credentials without expiry are cached"
        );

        let refused_attempt = Instant::now();
        RefreshTransferCredentials(Arc::clone(&cache))
            .refresh(refused_attempt)
            .await;
        let fresh = cache
            .resolve(resolver.clone(), &rc, &cfg)
            .await
            .expect("reload");
        assert_eq!(
            key_of(&fresh),
            "key-2",
            "a refusal makes the next request load anew"
        );

        // A second request refused with the old credentials (it started before the reload)
        // must not throw away the fresh ones.
        cache.invalidate_loaded_before(refused_attempt).await;
        let kept = cache.resolve(resolver, &rc, &cfg).await.expect("hit");
        assert_eq!(
            (key_of(&kept), cache.loads(), cache.refreshes()),
            ("key-2".to_owned(), 2, 2),
            "credentials loaded after the refused attempt started are kept"
        );
    }

    #[test]
    fn credentials_are_reloaded_a_minute_or_a_quarter_lifetime_before_expiry() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let secs = Duration::from_secs;
        for (lifetime, reload_after, why) in [
            (
                secs(3600),
                secs(3540),
                "an hour's credentials: a minute before expiry",
            ),
            (
                secs(90),
                secs(67) + Duration::from_millis(500),
                "90 s (moto): a quarter before",
            ),
            (secs(0), secs(0), "already expired: at once"),
        ] {
            assert_eq!(reload_time(t0 + lifetime, t0), t0 + reload_after, "{why}");
        }
        let expired = t0 - secs(5);
        assert_eq!(
            reload_time(expired, t0),
            expired,
            "expired before loading: reload at once"
        );
    }

    #[tokio::test]
    async fn expiring_credentials_are_reloaded_once_past_their_reload_time() {
        let cache = TransferCredentials::new();
        let counting = Arc::new(Counting {
            calls: AtomicUsize::new(0),
            lifetime: Some(Duration::from_secs(3600)),
        });
        let resolver = SharedIdentityResolver::new(SharedCounting(Arc::clone(&counting)));
        let (rc, cfg) = (components(), ConfigBag::base());
        cache
            .resolve(resolver.clone(), &rc, &cfg)
            .await
            .expect("load");
        cache
            .resolve(resolver.clone(), &rc, &cfg)
            .await
            .expect("hit");
        assert_eq!(cache.loads(), 1, "an hour's credentials are reused");
        // Move the reload time into the past, as if the hour had gone by.
        for cached in cache.slots.lock().await.values_mut() {
            cached.refresh_at = Some(SystemTime::now() - Duration::from_secs(1));
        }
        let again = cache.resolve(resolver, &rc, &cfg).await.expect("reload");
        assert_eq!(
            (key_of(&again), cache.loads()),
            ("key-2".to_owned(), 2),
            "past the reload time, the provider is asked again"
        );
    }

    #[derive(Debug)]
    struct SharedCounting(Arc<Counting>);

    impl ResolveIdentity for SharedCounting {
        fn resolve_identity<'a>(
            &'a self,
            rc: &'a RuntimeComponents,
            cfg: &'a ConfigBag,
        ) -> IdentityFuture<'a> {
            self.0.resolve_identity(rc, cfg)
        }
    }
}
