//! Layer streaming: verified reads through `AsyncRead` and the blocking bridge, failures at the
//! end of truncated or altered bodies, and redirects to blob storage that must not receive the
//! registry's credentials.

use crowsnest_registry::{
    ClientOptions, Credentials, Descriptor, Digest, RegistryClient, TargetPlatform,
};
use crowsnest_testkit::{Fault, FaultProxy, ImageBuilder, RegistryBuilder};
use tokio::io::AsyncReadExt;

/// 3 MiB of non-repeating bytes: larger than any single HTTP chunk.
fn big_layer() -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..3 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

async fn layer_descriptor(client: &RegistryClient, repo: &str) -> Descriptor {
    let m = client
        .manifest(repo, "1", TargetPlatform::LinuxAmd64)
        .await
        .unwrap();
    m.layers[0].clone()
}

#[tokio::test]
async fn streams_verify_async_and_blocking() {
    let Some(reg) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
    let layer = big_layer();
    reg.pusher()
        .push_image(
            "blob/app",
            "1",
            &ImageBuilder::oci().layers(vec![layer.clone()]),
        )
        .await
        .unwrap();
    let client = RegistryClient::new(
        &reg.url(),
        Credentials::anonymous(),
        ClientOptions::default(),
    )
    .unwrap();
    let desc = layer_descriptor(&client, "blob/app").await;
    assert_eq!(desc.digest, Digest::of(&layer));
    assert_eq!(
        client.head_blob("blob/app", &desc.digest).await.unwrap(),
        Some(layer.len() as u64)
    );
    assert_eq!(
        client
            .head_blob("blob/app", &Digest::of(b"absent"))
            .await
            .unwrap(),
        None
    );

    let mut r = client.blob("blob/app", &desc).await.unwrap();
    let mut got = Vec::new();
    r.read_to_end(&mut got).await.unwrap();
    assert!(got == layer);

    let r = client
        .blob("blob/app", &desc)
        .await
        .unwrap()
        .into_blocking();
    let n = tokio::task::spawn_blocking(move || {
        let mut r = r;
        std::io::copy(&mut r, &mut std::io::sink())
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(n, layer.len() as u64);
}

#[tokio::test]
async fn truncated_and_altered_layers_fail_at_the_end() {
    let Some(reg) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
    let layer = big_layer();
    reg.pusher()
        .push_image("blob/app", "1", &ImageBuilder::oci().layers(vec![layer]))
        .await
        .unwrap();
    for (fault, want) in [
        (Fault::Truncate, "size mismatch"),
        (Fault::Corrupt, "digest mismatch"),
    ] {
        let proxy = FaultProxy::start(&reg.url()).await.unwrap();
        let client = RegistryClient::new(
            proxy.url(),
            Credentials::anonymous(),
            ClientOptions::default(),
        )
        .unwrap();
        let desc = layer_descriptor(&client, "blob/app").await;
        proxy.inject(&format!("/blobs/{}", desc.digest), fault);
        let mut r = client.blob("blob/app", &desc).await.unwrap();
        let e = r.read_to_end(&mut Vec::new()).await.unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        assert!(e.to_string().contains(want), "{e}");
        assert!(e.to_string().contains("blob blob/app@sha256:"), "{e}");
    }
}

#[tokio::test]
async fn redirects_to_storage_carry_no_registry_credentials() {
    let Some(reg) = RegistryBuilder::new()
        .htpasswd("carol", "pw-carol")
        .start_or_skip()
        .await
    else {
        return;
    };
    let layer = b"layer behind a redirect".to_vec();
    reg.pusher()
        .push_image(
            "redir/app",
            "1",
            &ImageBuilder::oci().layers(vec![layer.clone()]),
        )
        .await
        .unwrap();
    let proxy = FaultProxy::start(&reg.url()).await.unwrap();
    proxy.other_origin_basic("carol", "pw-carol");
    let client = RegistryClient::new(
        proxy.url(),
        Credentials::basic("carol", "pw-carol"),
        ClientOptions::default(),
    )
    .unwrap();
    client.ping().await.unwrap();
    let desc = layer_descriptor(&client, "redir/app").await;
    proxy.inject("/blobs/", Fault::RedirectOtherOrigin);
    let mut got = Vec::new();
    client
        .blob("redir/app", &desc)
        .await
        .unwrap()
        .read_to_end(&mut got)
        .await
        .unwrap();
    assert_eq!(got, layer);
    assert_eq!(proxy.other_origin_auth(), [false]);
}
