//! `connect` against real registries: a stored credential unsealed through the caller's
//! `reveal` and used for discovery and pulls over one client, the credential's and the
//! specification's CA trusted together, and token providers asked again before their logins
//! lapse.

use crate::support::{quick, spec};
use crowsnest_model::ScanTarget;
use crowsnest_model::credential::{Credential, Secret};
use crowsnest_registry::{
    Credentials, DiscoveryOptions, ProvidedToken, RefreshingToken, RegistryAuth, RegistryError,
    TargetPlatform, TokenProvider, connect, discover,
};
use crowsnest_testkit::{ImageBuilder, RegistryBuilder};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

fn unseal(s: &Secret) -> Result<String, String> {
    s.encrypted
        .strip_prefix("sealed:")
        .map(str::to_string)
        .ok_or_else(|| "cannot unseal".into())
}

fn basic_credential(user: &str, password: &str) -> Credential {
    Credential {
        id: "cred".into(),
        kind: "basic".into(),
        account_id: user.into(),
        secret: Secret {
            plain: String::new(),
            encrypted: format!("sealed:{password}"),
        },
        ..Default::default()
    }
}

#[tokio::test]
async fn a_stored_basic_credential_discovers_and_pulls_over_one_client() {
    let Some(reg) = RegistryBuilder::new()
        .htpasswd("alice", "wonder-land")
        .start_or_skip()
        .await
    else {
        return;
    };
    let pushed = reg
        .pusher()
        .push_image("team/app", "v1", &ImageBuilder::oci())
        .await
        .unwrap();
    let target = ScanTarget::from_spec(&spec(&reg.url())).unwrap();
    let cred = basic_credential("alice", "wonder-land");
    let conn = connect(&target, Some(&cred), &unseal, &quick()).unwrap();
    let report = conn.discover(4).await.unwrap();
    assert_eq!(report.images.len(), 1, "{:?}", report.errors);
    let m = conn
        .client()
        .manifest("team/app", "v1", TargetPlatform::default())
        .await
        .unwrap();
    assert_eq!(m.digest.as_str(), pushed.digest);

    let wrong = basic_credential("alice", "nope");
    let e = connect(&target, Some(&wrong), &unseal, &quick())
        .unwrap()
        .discover(4)
        .await
        .unwrap_err();
    assert!(matches!(e, RegistryError::Auth { .. }), "{e}");
}

#[tokio::test]
async fn the_credential_ca_and_the_spec_ca_are_both_trusted() {
    let Some(reg) = RegistryBuilder::new().tls().start_or_skip().await else {
        return;
    };
    reg.pusher()
        .push_image("secure/app", "1", &ImageBuilder::oci())
        .await
        .unwrap();
    let ca = reg.ca_pem().unwrap();
    // A basic credential with no secret: anonymous pulls, but its CA counts.
    let mut cred = basic_credential("", "");
    let mut s = spec(&reg.host_port());
    for (cred_ca, spec_ca) in [
        (ca.as_str(), ""),
        ("", ca.as_str()),
        (ca.as_str(), ca.as_str()),
    ] {
        cred.ca_cert = cred_ca.to_string();
        s.ca_cert = spec_ca.to_string();
        let target = ScanTarget::from_spec(&s).unwrap();
        let conn = connect(&target, Some(&cred), &unseal, &quick()).unwrap();
        assert_eq!(conn.discover(4).await.unwrap().images.len(), 1);
    }
}

/// Logins of a fixed account, each valid for `lifetime`, counting how often it is asked.
struct Minting {
    user: String,
    password: String,
    lifetime: Duration,
    asked: AtomicU32,
}

impl TokenProvider for Minting {
    fn token(&self) -> BoxFuture<'_, Result<ProvidedToken, RegistryError>> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        let t = ProvidedToken {
            username: self.user.clone(),
            secret: self.password.clone(),
            expires_at: Instant::now() + self.lifetime,
        };
        async move { Ok(t) }.boxed()
    }
}

#[tokio::test]
async fn token_provider_logins_are_reused_until_close_to_expiry() {
    let Some(reg) = RegistryBuilder::new()
        .htpasswd("robot", "minted")
        .start_or_skip()
        .await
    else {
        return;
    };
    for tag in ["v1", "v2"] {
        reg.pusher()
            .push_image("team/app", tag, &ImageBuilder::oci())
            .await
            .unwrap();
    }
    let run = |lifetime: Duration| {
        let provider = Arc::new(Minting {
            user: "robot".into(),
            password: "minted".into(),
            lifetime,
            asked: AtomicU32::new(0),
        });
        let creds = Credentials {
            auth: RegistryAuth::Token(RefreshingToken::new(provider.clone())),
            ..Credentials::default()
        };
        let url = reg.url();
        async move {
            let options = DiscoveryOptions {
                concurrency: 1,
                ..quick()
            };
            let report = discover(&spec(&url), creds, &options).await.unwrap();
            assert_eq!(report.images.len(), 2, "{:?}", report.errors);
            (provider.asked.load(Ordering::SeqCst), report.requests)
        }
    };
    // A login good for an hour is minted once for the whole discovery.
    let (asked, requests) = run(Duration::from_secs(3600)).await;
    assert_eq!(asked, 1);
    assert!(requests > 3);
    // A login that is already within its refresh margin is minted again for every request
    // that carries it (all but the first, which learns the scheme from the 401).
    let (asked, requests) = run(Duration::ZERO).await;
    assert!(
        asked > 2 && u64::from(asked) < requests,
        "{asked} of {requests}"
    );
}
