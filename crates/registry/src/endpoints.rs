//! [`VendorEndpoints`]: the environment variables by which the vendors' own SDKs point their
//! clients elsewhere (sovereign clouds, proxies, local emulators, our simulators), read once.
//!
//! Kept as a value in [`DiscoveryOptions`](crate::DiscoveryOptions) rather than read at each
//! call so that a process can hold several (tests run simulators side by side) and so that what
//! a scan used is visible. [`VendorEndpoints::from_env`] is the default.
//!
//! | variable | used for |
//! |---|---|
//! | `AWS_ENDPOINT_URL_ECR`, `AWS_ENDPOINT_URL` | ECR's API instead of `https://api.ecr.<region>.amazonaws.com` |
//! | `AWS_ENDPOINT_URL_STS` | STS instead of `https://sts.amazonaws.com` (or the regional one) |
//! | `AWS_REGION`, `AWS_DEFAULT_REGION` | the region when the registry host does not name one |
//! | `AWS_STS_REGIONAL_ENDPOINTS` | `regional`: STS of the registry's region |
//! | `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` | an `aws` registry without a credential, or with `useAWSRole` |
//! | `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN`, `AWS_ROLE_SESSION_NAME` | then: web identity (EKS IRSA) |
//! | `AWS_EC2_METADATA_SERVICE_ENDPOINT`, `AWS_EC2_METADATA_DISABLED` | then: the instance's role through IMDSv2 |

use std::collections::BTreeMap;

/// The variables [`from_env`](VendorEndpoints::from_env) reads.
pub const VENDOR_VARIABLES: &[&str] = &[
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_ECR",
    "AWS_ENDPOINT_URL_STS",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_STS_REGIONAL_ENDPOINTS",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    "AWS_EC2_METADATA_DISABLED",
];

/// A snapshot of the vendor variables (see the module docs).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct VendorEndpoints {
    vars: BTreeMap<String, String>,
}

// Secret keys from the environment never reach logs.
impl std::fmt::Debug for VendorEndpoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(
                self.vars
                    .keys()
                    .filter(|k| !k.contains("SECRET") && !k.contains("TOKEN")),
            )
            .finish()
    }
}

impl VendorEndpoints {
    /// The variables of this process's environment.
    pub fn from_env() -> VendorEndpoints {
        VendorEndpoints {
            vars: VENDOR_VARIABLES
                .iter()
                .filter_map(|k| Some((k.to_string(), std::env::var(k).ok()?)))
                .collect(),
        }
    }

    /// Exactly `vars` (tests, a simulator's `env`), nothing from the environment.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> VendorEndpoints {
        VendorEndpoints {
            vars: vars
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// These variables with `other`'s set over them.
    pub fn overlay(mut self, other: &VendorEndpoints) -> VendorEndpoints {
        for (k, v) in &other.vars {
            self.vars.insert(k.clone(), v.clone());
        }
        self
    }

    /// A variable's value, when set and not blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }
}
