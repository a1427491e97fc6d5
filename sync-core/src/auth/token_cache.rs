//! The current ID and access tokens, refreshed before they expire. Callers ask with
//! the time; when the tokens have less than the minimum TTL left, the first caller
//! refreshes under the write lock and the others, re-checking after the lock, reuse
//! its result, so many concurrent callers cause one refresh.

use std::future::Future;

use tokio::sync::RwLock;

use super::secret::Secret;
use super::user_pool::{SignInError, Tokens, UserPool};

/// Tokens with less than this left are refreshed before use.
pub const DEFAULT_MIN_TTL: jiff::SignedDuration = jiff::SignedDuration::from_mins(5);

/// Something that gets fresh tokens (the user pool's refresh flow, or a test double).
pub trait Refresh: Send + Sync {
    fn refresh(&self) -> impl Future<Output = Result<Tokens, SignInError>> + Send;
}

/// The user pool's `REFRESH_TOKEN_AUTH` with a kept refresh token.
#[derive(Debug, Clone)]
pub struct PoolRefresh {
    pub pool: UserPool,
    pub refresh_token: Secret,
}

impl Refresh for PoolRefresh {
    fn refresh(&self) -> impl Future<Output = Result<Tokens, SignInError>> + Send {
        self.pool.refresh(&self.refresh_token)
    }
}

/// Whether tokens expiring at `expires_at` are still good to hand out at `now`.
#[must_use]
pub fn is_fresh(
    expires_at: jiff::Timestamp,
    now: jiff::Timestamp,
    min_ttl: jiff::SignedDuration,
) -> bool {
    now.duration_until(expires_at) > min_ttl
}

#[derive(Debug)]
pub struct TokenCache<R> {
    refresher: R,
    min_ttl: jiff::SignedDuration,
    current: RwLock<Option<Tokens>>,
}

impl<R: Refresh> TokenCache<R> {
    /// A cache that starts with `initial` tokens (say, from the sign-in) or none.
    pub fn new(refresher: R, min_ttl: jiff::SignedDuration, initial: Option<Tokens>) -> Self {
        Self {
            refresher,
            min_ttl,
            current: RwLock::new(initial),
        }
    }

    /// Tokens with at least the minimum TTL left at `now`, refreshing when needed.
    pub async fn tokens(&self, now: jiff::Timestamp) -> Result<Tokens, SignInError> {
        if let Some(t) = self.current.read().await.as_ref()
            && is_fresh(t.expires_at, now, self.min_ttl)
        {
            return Ok(t.clone());
        }
        let mut current = self.current.write().await;
        // Another caller may have refreshed while this one waited for the lock.
        if let Some(t) = current.as_ref()
            && is_fresh(t.expires_at, now, self.min_ttl)
        {
            return Ok(t.clone());
        }
        tracing::debug!("refreshing the user pool tokens");
        let fresh = self.refresher.refresh().await?;
        *current = Some(fresh.clone());
        Ok(fresh)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn freshness_table() {
        let t = |s| jiff::Timestamp::from_second(s).expect("valid");
        let ttl = jiff::SignedDuration::from_secs(300);
        let cases = [
            (1_000, 0, true, "far from expiry"),
            (1_000, 699, true, "just over the minimum TTL left"),
            (1_000, 700, false, "exactly the minimum TTL left: refresh"),
            (1_000, 2_000, false, "expired"),
        ];
        for (exp, now, want, why) in cases {
            assert_eq!(is_fresh(t(exp), t(now), ttl), want, "{why}");
        }
    }

    struct Counting {
        calls: Arc<AtomicUsize>,
        expires_at: jiff::Timestamp,
    }

    impl Refresh for Counting {
        async fn refresh(&self) -> Result<Tokens, SignInError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            // Long enough that every waiting caller queues behind the write lock.
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            Ok(Tokens {
                id: Secret::new("id".into()),
                access: Secret::new("access".into()),
                refresh: None,
                expires_at: self.expires_at,
            })
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_callers_refresh_once() {
        let now = jiff::Timestamp::from_second(1_000_000).expect("valid");
        let calls = Arc::new(AtomicUsize::new(0));
        let cache = Arc::new(TokenCache::new(
            Counting {
                calls: calls.clone(),
                expires_at: now + jiff::SignedDuration::from_hours(1),
            },
            DEFAULT_MIN_TTL,
            None,
        ));
        let callers: Vec<_> = (0..64)
            .map(|_| {
                let cache = cache.clone();
                tokio::spawn(async move { cache.tokens(now).await })
            })
            .collect();
        for c in callers {
            c.await.expect("caller finished").expect("tokens");
        }
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "64 callers with no tokens share one refresh"
        );
        let later = now + jiff::SignedDuration::from_mins(56);
        cache.tokens(later).await.expect("tokens");
        assert_eq!(
            calls.load(Ordering::SeqCst),
            2,
            "within the minimum TTL of expiry, it refreshes again"
        );
    }
}
