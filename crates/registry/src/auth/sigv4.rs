//! AWS Signature Version 4 for the few AWS calls Crowsnest makes (ECR's JSON API, STS
//! `AssumeRole`), written from AWS's published algorithm and checked against AWS's own test
//! suite vectors (`get-vanilla`, `get-vanilla-query-order-key-case`, `post-vanilla`, the derived
//! signing key) in the tests below. No AWS SDK: its crate tree is about 200 crates for four calls.
//!
//! [`sign`] adds `x-amz-date`, `x-amz-security-token` (temporary credentials) and
//! `authorization` to a request's headers. The canonical request signs `host`, every
//! `x-amz-*` header and `content-type`, with the payload's SHA-256.

use sha2::{Digest as _, Sha256};

/// An access key pair, with a session token when it is temporary (STS, IRSA, IMDS).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct AwsKeys {
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: String,
    pub(crate) session_token: Option<String>,
}

// The secret and the session token never reach logs.
impl std::fmt::Debug for AwsKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsKeys")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// One request to sign: `path` as sent (already percent-encoded), `query` pairs undecoded.
pub(crate) struct Unsigned<'r> {
    pub(crate) method: &'r str,
    /// `host` or `host:port`, as the `Host` header carries it.
    pub(crate) host: &'r str,
    pub(crate) path: &'r str,
    pub(crate) query: &'r [(String, String)],
    /// Headers besides `host` (names in any case).
    pub(crate) headers: &'r [(String, String)],
    pub(crate) body: &'r [u8],
}

/// The headers to add to `req` so that AWS accepts it as signed by `keys` for `service` in
/// `region` at `at`: `x-amz-date`, the session token if any, and `authorization`.
pub(crate) fn sign(
    req: &Unsigned<'_>,
    keys: &AwsKeys,
    region: &str,
    service: &str,
    at: jiff::Timestamp,
) -> Vec<(String, String)> {
    let amz_date = at.strftime("%Y%m%dT%H%M%SZ").to_string();
    let mut added = vec![("x-amz-date".to_string(), amz_date.clone())];
    if let Some(token) = &keys.session_token {
        added.push(("x-amz-security-token".to_string(), token.clone()));
    }
    let mut signed: Vec<(String, String)> = vec![("host".into(), req.host.to_string())];
    for (k, v) in req.headers.iter().chain(added.iter()) {
        let k = k.to_ascii_lowercase();
        if k.starts_with("x-amz-") || k == "content-type" {
            signed.push((k, collapse(v)));
        }
    }
    signed.sort();
    let signed_names = signed
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        if req.path.is_empty() { "/" } else { req.path },
        canonical_query(req.query),
        signed
            .iter()
            .map(|(k, v)| format!("{k}:{v}\n"))
            .collect::<String>(),
        signed_names,
        hex::encode(Sha256::digest(req.body)),
    );
    let date = &amz_date[..8];
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let key = signing_key(&keys.secret_access_key, date, region, service);
    let signature = hex::encode(hmac(&key, to_sign.as_bytes()));
    added.push((
        "authorization".into(),
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_names}, Signature={signature}",
            keys.access_key_id
        ),
    ));
    added
}

/// The key of one day, region and service, derived from the secret by AWS's HMAC chain.
pub(crate) fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k = hmac(&k, region.as_bytes());
    let k = hmac(&k, service.as_bytes());
    hmac(&k, b"aws4_request")
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    ring::hmac::sign(&key, data).as_ref().to_vec()
}

/// Header values are trimmed and inner runs of spaces become one.
fn collapse(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Pairs encoded with AWS's rules (RFC 3986 unreserved kept, everything else `%XX`), sorted by
/// name then value.
fn canonical_query(query: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (uri_encode(k), uri_encode(v)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes everything but `A-Z a-z 0-9 - _ . ~` (also used for form bodies).
pub(crate) fn uri_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // AWS's Signature Version 4 test suite: credentials, scope and time of every vector.
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn keys(token: Option<&str>) -> AwsKeys {
        AwsKeys {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: SECRET.into(),
            session_token: token.map(str::to_string),
        }
    }

    fn at() -> jiff::Timestamp {
        "2015-08-30T12:36:00Z".parse().unwrap()
    }

    fn authorization(method: &str, query: &[(&str, &str)], body: &[u8]) -> String {
        let query: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let req = Unsigned {
            method,
            host: "example.amazonaws.com",
            path: "/",
            query: &query,
            headers: &[],
            body,
        };
        let added = sign(&req, &keys(None), "us-east-1", "service", at());
        assert_eq!(added[0], ("x-amz-date".into(), "20150830T123600Z".into()));
        added.last().unwrap().1.clone()
    }

    const PREFIX: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=";

    #[test]
    fn aws_test_suite_vectors() {
        assert_eq!(
            hex::encode(signing_key(SECRET, "20150830", "us-east-1", "service")),
            "938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75"
        );
        // get-vanilla
        assert_eq!(
            authorization("GET", &[], b""),
            format!("{PREFIX}5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        );
        // get-vanilla-query-order-key-case: sorted before signing, whatever order they came in.
        let sig = "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500";
        assert_eq!(
            authorization("GET", &[("Param2", "value2"), ("Param1", "value1")], b""),
            format!("{PREFIX}{sig}")
        );
        // post-vanilla
        assert_eq!(
            authorization("POST", &[], b""),
            format!("{PREFIX}5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")
        );
    }

    #[test]
    fn a_session_token_is_signed_and_sent() {
        let req = Unsigned {
            method: "POST",
            host: "api.ecr.us-east-1.amazonaws.com",
            path: "/",
            query: &[],
            headers: &[("Content-Type".into(), "application/x-amz-json-1.1".into())],
            body: b"{}",
        };
        let added = sign(&req, &keys(Some("tok")), "us-east-1", "ecr", at());
        assert_eq!(added[1], ("x-amz-security-token".into(), "tok".into()));
        assert!(
            added[2]
                .1
                .contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,"),
            "{}",
            added[2].1
        );
        assert!(!format!("{:?}", keys(Some("tok"))).contains("EXAMPLEKEY"));
    }

    #[test]
    fn encoding_keeps_only_unreserved() {
        assert_eq!(uri_encode("a b/c~d*é"), "a%20b%2Fc~d%2A%C3%A9");
    }
}
