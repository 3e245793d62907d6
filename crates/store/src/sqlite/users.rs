//! [`UserStore`] in SQLite.

use super::SqliteStore;
use crate::{Result, StoreError, UserRecord, UserStore};
use sqlx::Row;

#[async_trait::async_trait]
impl UserStore for SqliteStore {
    async fn count_users(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    async fn create_user(&self, user: &UserRecord) -> Result<()> {
        let r = sqlx::query(
            "INSERT INTO users (username, password_hash, role, created) VALUES (?, ?, ?, ?)",
        )
        .bind(&user.username)
        .bind(&user.password_hash)
        .bind(&user.role)
        .bind(&user.created)
        .execute(&self.pool)
        .await;
        match r {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(StoreError::Conflict(
                format!("user {:?} already exists", user.username),
            )),
            Err(e) => Err(e.into()),
        }
    }

    async fn user(&self, username: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query(
            "SELECT username, password_hash, role, created FROM users WHERE username = ?",
        )
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| UserRecord {
            username: r.get(0),
            password_hash: r.get(1),
            role: r.get(2),
            created: r.get(3),
        }))
    }

    async fn retire_token(&self, jti: &str, expires: i64, now: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM retired_tokens WHERE expires <= ?")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO retired_tokens (jti, expires) VALUES (?, ?)
             ON CONFLICT (jti) DO UPDATE SET expires = MAX(expires, excluded.expires)",
        )
        .bind(jti)
        .bind(expires)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn token_retired(&self, jti: &str, now: i64) -> Result<bool> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM retired_tokens WHERE jti = ? AND expires > ?")
                .bind(jti)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }
}
