//! Console users.

use crate::{Result, UserRecord};

#[async_trait::async_trait]
pub trait UserStore: Send + Sync + 'static {
    async fn count_users(&self) -> Result<u64>;
    /// Fails with [`StoreError::Conflict`](crate::StoreError::Conflict) if the user exists.
    async fn create_user(&self, user: &UserRecord) -> Result<()>;
    async fn user(&self, username: &str) -> Result<Option<UserRecord>>;
    /// Retires an API token (by its id) until `expires` (Unix seconds), after which it is
    /// refused by its expiry anyway; ids that expired before `now` are forgotten meanwhile.
    async fn retire_token(&self, jti: &str, expires: i64, now: i64) -> Result<()>;
    /// True if the token was retired and has not expired by `now`.
    async fn token_retired(&self, jti: &str, now: i64) -> Result<bool>;
}
