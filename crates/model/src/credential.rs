//! Credentials (`cred.Credential`) as the Console API carries them. A [`Secret`] arrives with
//! `plain`; the store replaces it by `encrypted` before anything is written, and responses carry
//! only `encrypted`.

use serde::{Deserialize, Serialize};

/// Credential types the API accepts.
pub const CREDENTIAL_TYPES: &[&str] = &[
    "aws",
    "azure",
    "gcp",
    "ibmCloud",
    "oci",
    "apiToken",
    "basic",
    "dtr",
    "kubeconfig",
    "certificate",
    "gitlabToken",
];

/// `common.Secret`: the plain value is accepted on input and never stored or returned.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Secret {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub plain: String,
    pub encrypted: String,
}

// Never print a secret, not even in debug logs.
impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Secret {
    pub fn is_empty(&self) -> bool {
        self.plain.is_empty() && self.encrypted.is_empty()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Credential {
    #[serde(rename = "_id")]
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub description: String,
    #[serde(rename = "accountID")]
    pub account_id: String,
    #[serde(rename = "accountGUID", skip_serializing_if = "String::is_empty")]
    pub account_guid: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub account_name: String,
    #[serde(skip_serializing_if = "Secret::is_empty")]
    pub secret: Secret,
    #[serde(skip_serializing_if = "Secret::is_empty")]
    pub api_token: Secret,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ca_cert: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub role_arn: String,
    /// The external ID the role's trust policy asks for when `roleArn` is assumed (AWS STS
    /// `ExternalId`); Crowsnest's addition beside Prisma's fields.
    #[serde(rename = "externalID", skip_serializing_if = "String::is_empty")]
    pub external_id: String,
    #[serde(rename = "useAWSRole")]
    pub use_aws_role: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sts_endpoints: Vec<String>,
    #[serde(rename = "useSTSRegionalEndpoint")]
    pub use_sts_regional_endpoint: bool,
    #[serde(rename = "azureSPInfo", skip_serializing_if = "Option::is_none")]
    pub azure_sp_info: Option<AzureSpInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oci_cred: Option<OciCred>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens: Option<TemporaryToken>,
    pub skip_verify: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub url: String,
    pub global: bool,
    pub external: bool,
    #[serde(
        rename = "cloudProviderAccountID",
        skip_serializing_if = "String::is_empty"
    )]
    pub cloud_provider_account_id: String,
    // Read-only, set by the server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    pub owner: String,
    pub prisma_last_modified: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AzureSpInfo {
    pub client_id: String,
    pub tenant_id: String,
    pub subscription_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub mi_type: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OciCred {
    pub fingerprint: String,
    pub tenancy_id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TemporaryToken {
    pub aws_access_key_id: String,
    #[serde(skip_serializing_if = "Secret::is_empty")]
    pub aws_secret_access_key: Secret,
    pub duration: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_time: Option<String>,
    #[serde(skip_serializing_if = "Secret::is_empty")]
    pub token: Secret,
}

impl Credential {
    /// Every secret the credential carries, for encryption before storage.
    pub fn secrets_mut(&mut self) -> Vec<&mut Secret> {
        let mut out = vec![&mut self.secret, &mut self.api_token];
        if let Some(t) = self.tokens.as_mut() {
            out.push(&mut t.aws_secret_access_key);
            out.push(&mut t.token);
        }
        out
    }

    /// Checks what a client supplies.
    pub fn validate(&self) -> Result<(), String> {
        if self.id.trim().is_empty() {
            return Err("credential _id is required".to_string());
        }
        if !CREDENTIAL_TYPES.contains(&self.kind.as_str()) {
            return Err(format!(
                "unknown credential type {:?}; expected one of {}",
                self.kind,
                CREDENTIAL_TYPES.join(", ")
            ));
        }
        if let Some(ai) = &self.azure_sp_info
            && !ai.mi_type.is_empty()
            && !matches!(ai.mi_type.as_str(), "user-assigned" | "system-assigned")
        {
            return Err(format!("unknown azureSPInfo.miType {:?}", ai.mi_type));
        }
        Ok(())
    }
}
