//! The service's TPS limits (spec §4.2), enforced with `serve --enforce-quotas`: requests per
//! second per stream (session creation) and per session (player actions), counted in whole
//! wall-clock seconds.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use crate::ApiError;
use crate::time::UnixMillis;

/// A limited kind of request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Limit {
    /// GetHLSStreamingSessionURL and GetDASHStreamingSessionURL: 25 TPS per stream.
    SessionUrl,
    /// GetHLSMasterPlaylist, GetHLSMediaPlaylist, GetMP4InitFragment, GetDASHManifest: 5 TPS per
    /// session.
    Playlist,
    /// GetMP4MediaFragment and GetTSFragment: 20 TPS per session.
    Media,
}

impl Limit {
    /// Requests allowed per second.
    fn per_second(self) -> u32 {
        match self {
            Limit::SessionUrl => 25,
            Limit::Playlist => 5,
            Limit::Media => 20,
        }
    }

    /// What the limit is counted over, for the message.
    fn scope(self) -> &'static str {
        match self {
            Limit::SessionUrl => "stream",
            Limit::Playlist | Limit::Media => "session",
        }
    }
}

/// Counters of the current second.
#[derive(Debug, Default)]
pub(super) struct Quotas {
    counts: Mutex<HashMap<(Limit, String), (u64, u32)>>,
}

/// Counters kept before those of past seconds are dropped.
const MAX_COUNTERS: usize = 10_000;

impl Quotas {
    /// Counts one request of kind `limit` for `scope` (a stream name or a session token).
    ///
    /// # Errors
    /// ClientLimitExceededException when `scope` already had the limit's requests this second.
    pub(super) fn admit(&self, limit: Limit, scope: &str, now: UnixMillis) -> Result<(), ApiError> {
        let second = now.0 / 1000;
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if counts.len() >= MAX_COUNTERS {
            counts.retain(|_, (at, _)| *at == second);
        }
        let (at, count) = counts.entry((limit, scope.to_owned())).or_default();
        if *at != second {
            (*at, *count) = (second, 0);
        }
        if *count >= limit.per_second() {
            return Err(ApiError::ClientLimitExceeded {
                message: format!(
                    "Rate exceeded: more than {} requests per second for this {}.",
                    limit.per_second(),
                    limit.scope()
                ),
            });
        }
        *count += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_holds_per_scope_and_resets_each_second() {
        let quotas = Quotas::default();
        let at = UnixMillis(1_700_000_000_500);
        for _ in 0..5 {
            quotas
                .admit(Limit::Playlist, "a", at)
                .expect("under the limit");
        }
        let refused = quotas.admit(Limit::Playlist, "a", at).unwrap_err();
        assert_eq!(refused.code(), "ClientLimitExceededException");
        quotas
            .admit(Limit::Playlist, "b", at)
            .expect("another session");
        quotas.admit(Limit::Media, "a", at).expect("another limit");
        quotas
            .admit(Limit::Playlist, "a", UnixMillis(1_700_000_001_000))
            .expect("the next second");
    }
}
