//! Rows that have no Prisma wire shape of their own.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub username: String,
    /// argon2 PHC string; never the password.
    pub password_hash: String,
    pub role: String,
    pub created: String,
}

/// A scan the API was asked for (`POST /settings/registry` without `scanLater`, `POST /registry/scan`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanRequestRecord {
    pub id: i64,
    /// `regular`, `rescan`, `onDemand`, `select`.
    pub kind: String,
    /// The request body as received (JSON), or empty.
    pub body: String,
    pub requested: String,
    pub state: String,
}
