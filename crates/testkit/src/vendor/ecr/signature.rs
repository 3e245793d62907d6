//! The simulator's own check of AWS Signature Version 4, written apart from the client's signer
//! in crowsnest-registry so that one cannot hide the other's mistake: boto3's signatures pass it
//! in the vendor-client test, and a wrong secret fails it as AWS fails.
//!
//! [`verify`] recomputes the signature of a received request from the secret of the access key
//! its `Authorization` names, the headers it lists as signed, and the body's SHA-256, and says
//! what AWS would say when they differ.

use axum::http::HeaderMap;
use sha2::{Digest as _, Sha256};

/// What the `Authorization` header claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Claimed {
    pub(crate) access_key: String,
    pub(crate) date: String,
    pub(crate) region: String,
    pub(crate) service: String,
    pub(crate) signed_headers: Vec<String>,
    pub(crate) signature: String,
}

/// Why a signature is refused: AWS's error code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refused {
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

fn refused(code: &'static str, message: impl Into<String>) -> Refused {
    Refused {
        code,
        message: message.into(),
    }
}

/// Parses `AWS4-HMAC-SHA256 Credential=…/date/region/service/aws4_request, SignedHeaders=…,
/// Signature=…`.
pub(crate) fn parse(headers: &HeaderMap) -> Result<Claimed, Refused> {
    let missing = || {
        refused(
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        )
    };
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(missing)?;
    let rest = auth
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or_else(|| refused("IncompleteSignatureException", "Unsupported algorithm"))?;
    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=').unwrap_or(("", ""));
        match k {
            "Credential" => credential = Some(v),
            "SignedHeaders" => signed = Some(v),
            "Signature" => signature = Some(v),
            _ => {}
        }
    }
    let incomplete = || {
        refused(
            "IncompleteSignatureException",
            format!(
                "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters. Authorization={auth}"
            ),
        )
    };
    let (credential, signed, signature) = match (credential, signed, signature) {
        (Some(c), Some(s), Some(g)) => (c, s, g),
        _ => return Err(incomplete()),
    };
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key, date, region, service, "aws4_request"] = scope.as_slice() else {
        return Err(incomplete());
    };
    Ok(Claimed {
        access_key: access_key.to_string(),
        date: date.to_string(),
        region: region.to_string(),
        service: service.to_string(),
        signed_headers: signed.split(';').map(str::to_string).collect(),
        signature: signature.to_string(),
    })
}

/// Checks `claimed` against a recomputation with `secret`; `now` bounds the request's age.
#[allow(clippy::too_many_arguments)] // the parts of one HTTP request, each used once
pub(crate) fn verify(
    claimed: &Claimed,
    secret: &str,
    method: &str,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
    now: jiff::Timestamp,
) -> Result<(), Refused> {
    let amz_date = headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let when = jiff::civil::DateTime::strptime("%Y%m%dT%H%M%SZ", amz_date)
        .ok()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| {
            refused(
                "IncompleteSignatureException",
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
            )
        })?;
    if (now.as_second() - when.as_second()).abs() > 15 * 60 {
        return Err(refused(
            "InvalidSignatureException",
            format!(
                "Signature expired: {amz_date} is now earlier than {} ({} - 15 min.)",
                (now - jiff::SignedDuration::from_mins(15)).strftime("%Y%m%dT%H%M%SZ"),
                now.strftime("%Y%m%dT%H%M%SZ")
            ),
        ));
    }
    if !amz_date.starts_with(&claimed.date) {
        return Err(refused(
            "InvalidSignatureException",
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP",
        ));
    }
    let mut canonical_headers = String::new();
    for name in &claimed.signed_headers {
        let values: Vec<String> = headers
            .get_all(name.as_str())
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    let mut pairs: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    pairs.sort();
    let payload = headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| hex::encode(Sha256::digest(body)));
    let canonical = format!(
        "{method}\n{}\n{}\n{canonical_headers}\n{}\n{payload}",
        if path.is_empty() { "/" } else { path },
        pairs.join("&"),
        claimed.signed_headers.join(";"),
    );
    let scope = format!(
        "{}/{}/{}/aws4_request",
        claimed.date, claimed.region, claimed.service
    );
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let mut key = format!("AWS4{secret}").into_bytes();
    for part in [
        claimed.date.as_str(),
        claimed.region.as_str(),
        claimed.service.as_str(),
        "aws4_request",
    ] {
        key = hmac(&key, part.as_bytes());
    }
    let expected = hex::encode(hmac(&key, to_sign.as_bytes()));
    // A simulator: timing does not matter here.
    if expected != claimed.signature {
        return Err(refused(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method. Consult the service \
             documentation for details.",
        ));
    }
    Ok(())
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    ring::hmac::sign(&key, data).as_ref().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    /// AWS's `get-vanilla` vector, checked from the receiving side.
    #[test]
    fn accepts_the_aws_vector_and_refuses_a_wrong_secret() {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("example.amazonaws.com"));
        h.insert("x-amz-date", HeaderValue::from_static("20150830T123600Z"));
        h.insert("authorization", HeaderValue::from_static(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        ));
        let c = parse(&h).unwrap();
        assert_eq!(c.access_key, "AKIDEXAMPLE");
        assert_eq!(c.service, "service");
        let now: jiff::Timestamp = "2015-08-30T12:40:00Z".parse().unwrap();
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        assert_eq!(verify(&c, secret, "GET", "/", "", &h, b"", now), Ok(()));
        let e = verify(&c, "wrong", "GET", "/", "", &h, b"", now).unwrap_err();
        assert_eq!(e.code, "InvalidSignatureException");
        let late: jiff::Timestamp = "2015-08-30T13:00:00Z".parse().unwrap();
        assert!(
            verify(&c, secret, "GET", "/", "", &h, b"", late)
                .unwrap_err()
                .message
                .starts_with("Signature expired")
        );
        h.remove("authorization");
        assert_eq!(
            parse(&h).unwrap_err().code,
            "MissingAuthenticationTokenException"
        );
    }
}
