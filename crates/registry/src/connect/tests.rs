use super::*;
use crowsnest_model::spec::RegistrySpecification;
use std::cell::RefCell;

fn target(version: &str, registry: &str, ca: &str) -> ScanTarget {
    ScanTarget::from_spec(&RegistrySpecification {
        version: version.into(),
        registry: registry.into(),
        ca_cert: ca.into(),
        ..Default::default()
    })
    .unwrap()
}

fn sealed(plain: &str) -> Secret {
    Secret {
        plain: String::new(),
        encrypted: format!("sealed:{plain}"),
    }
}

fn cred(kind: &str) -> Credential {
    Credential {
        id: "c1".into(),
        kind: kind.into(),
        account_id: "robot".into(),
        secret: sealed("pw"),
        api_token: sealed("tok"),
        ..Default::default()
    }
}

/// A store's `reveal` stand-in that records what it was asked to unseal.
fn revealer(asked: &RefCell<Vec<String>>) -> impl Fn(&Secret) -> Result<String, String> + '_ {
    move |s: &Secret| {
        asked.borrow_mut().push(s.encrypted.clone());
        s.encrypted
            .strip_prefix("sealed:")
            .map(str::to_string)
            .ok_or_else(|| "cannot unseal".to_string())
    }
}

fn basic(username: &str, password: &str) -> RegistryAuth {
    RegistryAuth::Basic {
        username: username.into(),
        password: password.into(),
    }
}

#[test]
fn each_credential_type_maps_to_its_auth() {
    let asked = RefCell::new(Vec::new());
    let reveal = revealer(&asked);
    for kind in ["basic", "dtr"] {
        assert_eq!(
            credentials(&cred(kind), &reveal).unwrap().auth,
            basic("robot", "pw")
        );
    }
    for kind in ["apiToken", "gitlabToken"] {
        assert_eq!(
            credentials(&cred(kind), &reveal).unwrap().auth,
            basic("robot", "tok")
        );
    }
    // Only the secret the type uses is unsealed.
    assert_eq!(
        *asked.borrow(),
        ["sealed:pw", "sealed:pw", "sealed:tok", "sealed:tok"]
    );

    let mut c = cred("certificate");
    c.secret = sealed(
        "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n\
         -----BEGIN PRIVATE KEY-----\nBBB\n-----END PRIVATE KEY-----\n",
    );
    let RegistryAuth::ClientCert { cert_pem, key_pem } = credentials(&c, &reveal).unwrap().auth
    else {
        panic!("a certificate credential is a client certificate");
    };
    assert!(cert_pem.contains("AAA") && !cert_pem.contains("BBB"));
    assert!(key_pem.contains("BBB") && !key_pem.contains("AAA"));
}

#[test]
fn unusable_credentials_are_clear_errors_naming_the_credential() {
    let asked = RefCell::new(Vec::new());
    let reveal = revealer(&asked);
    for kind in ["azure", "gcp", "ibmCloud", "oci", "kubeconfig"] {
        let e = credentials(&cred(kind), &reveal).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "credential \"c1\": credential type {kind:?} is not supported for registry scanning yet"
            )
        );
    }
    let mut c = cred("certificate");
    c.secret = sealed("just a certificate");
    assert_eq!(
        credentials(&c, &reveal).unwrap_err().to_string(),
        "credential \"c1\": the secret must hold a PEM certificate and its private key"
    );
    let mut c = cred("basic");
    c.secret.encrypted = "tampered".into();
    assert_eq!(
        credentials(&c, &reveal).unwrap_err().to_string(),
        "credential \"c1\": cannot unseal"
    );
    assert!(!credentials(&c, &reveal).unwrap_err().is_transient());
}

#[test]
fn an_absent_secret_is_empty_and_never_unsealed() {
    let asked = RefCell::new(Vec::new());
    let mut c = cred("basic");
    c.secret = Secret::default();
    let creds = credentials(&c, &revealer(&asked)).unwrap();
    assert_eq!(creds.auth, basic("robot", ""));
    assert!(asked.borrow().is_empty());
}

#[test]
fn the_credential_and_spec_cas_are_trusted_once_each() {
    assert_eq!(combine_ca(None, None), None);
    assert_eq!(combine_ca(Some(" "), Some("")), None);
    assert_eq!(combine_ca(Some("A\n"), None).as_deref(), Some("A"));
    assert_eq!(combine_ca(None, Some("B")).as_deref(), Some("B"));
    assert_eq!(combine_ca(Some("A"), Some("B")).as_deref(), Some("A\nB"));
    assert_eq!(combine_ca(Some("A\n"), Some("A")).as_deref(), Some("A"));

    let asked = RefCell::new(Vec::new());
    let mut c = cred("basic");
    c.ca_cert = "CRED-CA".into();
    c.skip_verify = true;
    let creds = credentials(&c, &revealer(&asked)).unwrap();
    assert!(creds.skip_verify);
    assert_eq!(creds.ca_cert_pem.as_deref(), Some("CRED-CA"));
}

#[test]
fn connect_builds_the_client_and_checks_the_ca_once() {
    let asked = RefCell::new(Vec::new());
    let reveal = revealer(&asked);
    let t = target("2", "http://127.0.0.1:1/", "");
    let conn = connect(
        &t,
        Some(&cred("basic")),
        &reveal,
        &DiscoveryOptions::default(),
    )
    .unwrap();
    assert_eq!(conn.client().registry(), "http://127.0.0.1:1/");
    assert_eq!(conn.source().unwrap().registry(), "http://127.0.0.1:1/");
    assert_eq!(conn.target().spec_id(), "");
    // A CA that is not PEM fails the connection, not a later request.
    let t = target("2", "reg.example", "not a pem");
    let e = connect(&t, None, &reveal, &DiscoveryOptions::default()).unwrap_err();
    assert!(matches!(e, RegistryError::Tls(_)), "{e}");
}

#[test]
fn docker_hub_connects_to_the_configured_endpoint_under_every_spelling() {
    let options = DiscoveryOptions {
        docker_hub: "http://127.0.0.1:2".into(),
        ..DiscoveryOptions::default()
    };
    let none = |_: &Secret| -> Result<String, String> { unreachable!("no credential") };
    for spelled in ["", "docker.io", "https://index.docker.io/"] {
        let conn = connect(&target("2", spelled, ""), None, &none, &options).unwrap();
        assert_eq!(conn.client().registry(), "http://127.0.0.1:2");
        assert_eq!(conn.source().unwrap().registry(), "docker.io");
    }
}

#[tokio::test]
async fn other_registry_types_connect_but_have_no_discovery_yet() {
    let none = |_: &Secret| -> Result<String, String> { unreachable!("no credential") };
    for version in ["gcr", "redhat"] {
        let conn = connect(
            &target(version, "reg.example", ""),
            None,
            &none,
            &DiscoveryOptions::default(),
        )
        .unwrap();
        let expected = format!(
            "registry type {version:?} has no discovery module yet (supported: \"2\", aws, coreos, dtr, gitlab, harbor, jfrog, sonatype)"
        );
        assert_eq!(conn.source().err().unwrap().to_string(), expected);
        assert_eq!(conn.discover(4).await.unwrap_err().to_string(), expected);
    }
}

#[tokio::test]
async fn a_connection_can_move_between_tasks() {
    let none = |_: &Secret| -> Result<String, String> { unreachable!("no credential") };
    let conn = connect(
        &target("2", "reg.example", ""),
        None,
        &none,
        &DiscoveryOptions::default(),
    )
    .unwrap();
    let name = tokio::spawn(async move { conn.source().map(|s| s.registry().to_string()) })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(name, "reg.example");
}

#[test]
fn aws_credentials_become_an_identity_with_role_and_sts() {
    let asked = RefCell::new(Vec::new());
    let reveal = revealer(&asked);
    let mut c = cred("aws");
    c.account_id = "AKIAEXAMPLE".into();
    c.role_arn = "arn:aws:iam::123456789012:role/scan".into();
    c.external_id = "ext-1".into();
    c.sts_endpoints = vec!["sts.eu-west-1.amazonaws.com".into()];
    let RegistryAuth::Aws(id) = credentials(&c, &reveal).unwrap().auth else {
        panic!("an aws credential is an AWS identity");
    };
    let keys = id.keys.clone().unwrap();
    assert_eq!(keys.access_key_id, "AKIAEXAMPLE");
    assert_eq!(keys.secret_access_key, "pw");
    assert_eq!(
        id.role_arn.as_deref(),
        Some("arn:aws:iam::123456789012:role/scan")
    );
    assert_eq!(id.external_id.as_deref(), Some("ext-1"));
    assert_eq!(
        id.sts_endpoint.as_deref(),
        Some("sts.eu-west-1.amazonaws.com")
    );
    let mut c = cred("aws");
    c.account_id.clear();
    assert_eq!(
        credentials(&c, &reveal).unwrap_err().to_string(),
        "credential \"c1\": an aws credential needs accountID (the access key ID) and secret \
         (the secret access key), or useAWSRole"
    );
    c.use_aws_role = true;
    assert!(matches!(
        credentials(&c, &reveal).unwrap().auth,
        RegistryAuth::Aws(crate::AwsIdentity { keys: None, .. })
    ));
}
