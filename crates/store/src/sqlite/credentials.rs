//! [`CredentialStore`] in SQLite: credential documents with sealed secrets, and the registry
//! specifications in the order the client gave them.

use super::SqliteStore;
use crate::credentials::{HARBOR_SUFFIX, WEBHOOK_SUFFIX, describe_spec, seal_credential, spec_doc};
use crate::{CredentialStore, Result, StoreError};
use crowsnest_model::credential::{Credential, Secret};
use crowsnest_model::spec::{RegistrySettings, RegistrySpecification};
use sqlx::Row;
use std::collections::HashSet;

#[async_trait::async_trait]
impl CredentialStore for SqliteStore {
    async fn credentials(&self) -> Result<Vec<Credential>> {
        let docs: Vec<String> = sqlx::query_scalar("SELECT doc FROM credentials ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        docs.iter().map(|d| Ok(serde_json::from_str(d)?)).collect()
    }

    async fn credential(&self, id: &str) -> Result<Option<Credential>> {
        let doc: Option<String> = sqlx::query_scalar("SELECT doc FROM credentials WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        doc.map(|d| Ok(serde_json::from_str(&d)?)).transpose()
    }

    async fn upsert_credential(&self, credential: Credential) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let old: Option<String> = sqlx::query_scalar("SELECT doc FROM credentials WHERE id = ?")
            .bind(&credential.id)
            .fetch_optional(&mut *tx)
            .await?;
        let old: Option<Credential> = old.map(|d| serde_json::from_str(&d)).transpose()?;
        let mut sealed = seal_credential(&self.secrets, credential, old.as_ref());
        if let Some(old) = &old {
            // Creation time is the first save's, whatever the client sends.
            sealed.created = old.created.clone().or(sealed.created);
        }
        let doc = serde_json::to_string(&sealed)?;
        sqlx::query("INSERT INTO credentials (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc")
            .bind(&sealed.id)
            .bind(doc)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_credential(&self, id: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let users: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM registry_specs WHERE credential_id = ? ORDER BY position",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        if !users.is_empty() {
            let names: Vec<String> = users
                .iter()
                .filter_map(|d| serde_json::from_str::<RegistrySpecification>(d).ok())
                .map(|s| describe_spec(&s))
                .collect();
            return Err(StoreError::InUse {
                id: id.to_string(),
                usages: names.join(", "),
            });
        }
        let n = sqlx::query("DELETE FROM credentials WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound(format!("credential {id:?}")));
        }
        tx.commit().await?;
        Ok(())
    }

    async fn credential_usages(&self, id: &str) -> Result<Vec<RegistrySpecification>> {
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM registry_specs WHERE credential_id = ? ORDER BY position",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        docs.iter().map(|d| Ok(serde_json::from_str(d)?)).collect()
    }

    fn reveal(&self, secret: &Secret) -> Result<String> {
        self.secrets.open(&secret.encrypted)
    }

    async fn registry_settings(&self) -> Result<RegistrySettings> {
        let docs: Vec<String> =
            sqlx::query_scalar("SELECT doc FROM registry_specs ORDER BY position")
                .fetch_all(&self.pool)
                .await?;
        let specifications = docs
            .iter()
            .map(|d| serde_json::from_str(d))
            .collect::<std::result::Result<_, _>>()?;
        let rows = sqlx::query("SELECT key, value FROM settings")
            .fetch_all(&self.pool)
            .await?;
        let mut settings = RegistrySettings {
            specifications,
            ..Default::default()
        };
        for row in rows {
            let (key, value): (String, String) = (row.get(0), row.get(1));
            match key.as_str() {
                WEBHOOK_SUFFIX => settings.webhook_url_suffix = value,
                HARBOR_SUFFIX => settings.harbor_scanner_url_suffix = value,
                _ => {}
            }
        }
        Ok(settings)
    }

    async fn replace_specifications(&self, specs: &[RegistrySpecification]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let known: HashSet<String> = sqlx::query_scalar("SELECT id FROM credentials")
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
        let mut ids = HashSet::with_capacity(specs.len());
        for spec in specs {
            if !spec.credential_id.is_empty() && !known.contains(&spec.credential_id) {
                return Err(StoreError::UnknownCredential(spec.credential_id.clone()));
            }
            if !ids.insert(spec.id.as_str()) {
                return Err(StoreError::Conflict(format!(
                    "registry specification id {:?} appears twice",
                    spec.id
                )));
            }
        }
        sqlx::query("DELETE FROM registry_specs")
            .execute(&mut *tx)
            .await?;
        for (position, spec) in specs.iter().enumerate() {
            sqlx::query(
                "INSERT INTO registry_specs (position, id, credential_id, doc) VALUES (?, ?, ?, ?)",
            )
            .bind(position as i64)
            .bind(&spec.id)
            .bind(&spec.credential_id)
            .bind(spec_doc(spec)?)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn append_specification(&self, spec: &RegistrySpecification, max: usize) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let (count, last): (i64, Option<i64>) =
            sqlx::query_as("SELECT COUNT(*), MAX(position) FROM registry_specs")
                .fetch_one(&mut *tx)
                .await?;
        if count as usize >= max {
            return Err(StoreError::Limit(format!(
                "at most {max} registry specifications are allowed"
            )));
        }
        if !spec.credential_id.is_empty() {
            let found: Option<String> =
                sqlx::query_scalar("SELECT id FROM credentials WHERE id = ?")
                    .bind(&spec.credential_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if found.is_none() {
                return Err(StoreError::UnknownCredential(spec.credential_id.clone()));
            }
        }
        let r = sqlx::query(
            "INSERT INTO registry_specs (position, id, credential_id, doc) VALUES (?, ?, ?, ?)",
        )
        .bind(last.map_or(0, |p| p + 1))
        .bind(&spec.id)
        .bind(&spec.credential_id)
        .bind(spec_doc(spec)?)
        .execute(&mut *tx)
        .await;
        match r {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(StoreError::Conflict(format!(
                    "registry specification id {:?} exists",
                    spec.id
                )));
            }
            Err(e) => return Err(e.into()),
        }
        tx.commit().await?;
        Ok(())
    }
}
