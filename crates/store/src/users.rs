//! Console users.

use crate::{Result, UserRecord};

#[async_trait::async_trait]
pub trait UserStore: Send + Sync + 'static {
    async fn count_users(&self) -> Result<u64>;
    /// Fails with [`StoreError::Conflict`](crate::StoreError::Conflict) if the user exists.
    async fn create_user(&self, user: &UserRecord) -> Result<()>;
    async fn user(&self, username: &str) -> Result<Option<UserRecord>>;
}
