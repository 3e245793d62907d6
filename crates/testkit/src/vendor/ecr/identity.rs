//! Where the ECR simulator's temporary identities come from: STS `AssumeRole` (signed, with
//! the role's external ID), STS `AssumeRoleWithWebIdentity` (unsigned, an EKS pod's projected
//! token), and IMDSv2 (the instance's role: a session token asked with `PUT`, then the role's
//! keys). Each hands out fresh keys that the simulator then accepts like AWS would, until they
//! expire.

use super::{ACCOUNT, ALL_ACTIONS, EXTERNAL_ID, Ecr, Principal, ROLE_ARN, escape, now, refuse};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::collections::HashMap;
use std::sync::atomic::Ordering;

/// The token a pod's projected service-account file holds, for web identity.
pub const WEB_IDENTITY_TOKEN: &str = "sim-web-identity-token";
/// The role attached to the simulated instance (IMDS).
pub const INSTANCE_ROLE: &str = "crowsnest-instance";
const IMDS_TOKEN: &str = "sim-imds-session-token";

/// A form body's fields.
pub(super) fn form(body: &[u8]) -> HashMap<String, String> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            Some((decode(k), decode(v)))
        })
        .collect()
}

/// New temporary keys for `arn`, valid `seconds`: (key, secret, token, expiry).
fn issue(st: &Ecr, arn: String, seconds: i64) -> (String, String, String, i64) {
    let n = st.serial.fetch_add(1, Ordering::Relaxed);
    let key = format!("ASIASIMROLE{n:09}");
    let secret = format!("sim-role-secret-{n}");
    let token = format!("sim-role-session-token-{n}");
    let expires = now() + seconds;
    st.principals.lock().unwrap().insert(
        key.clone(),
        Principal {
            arn,
            secret: secret.clone(),
            session_token: Some(token.clone()),
            expires: Some(expires),
            actions: ALL_ACTIONS.to_vec(),
        },
    );
    (key, secret, token, expires)
}

fn rfc3339(epoch: i64) -> String {
    jiff::Timestamp::from_second(epoch)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// STS's answer carrying keys, for `action` (`AssumeRole`, `AssumeRoleWithWebIdentity`).
fn credentials_xml(action: &str, session: &str, keys: (String, String, String, i64)) -> Response {
    let (key, secret, token, expires) = keys;
    let session = escape(session);
    let xml = format!(
        "<{action}Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><{action}Result>\
         <AssumedRoleUser><AssumedRoleId>AROASIM:{session}</AssumedRoleId>\
         <Arn>arn:aws:sts::{ACCOUNT}:assumed-role/crowsnest-scan/{session}</Arn></AssumedRoleUser>\
         <Credentials><AccessKeyId>{key}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey>\
         <SessionToken>{token}</SessionToken><Expiration>{}</Expiration></Credentials>\
         </{action}Result><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000001</RequestId>\
         </ResponseMetadata></{action}Response>",
        rfc3339(expires)
    );
    ([("content-type", "text/xml")], xml).into_response()
}

/// STS `AssumeRole` of [`ROLE_ARN`] with [`EXTERNAL_ID`]: fresh keys valid `DurationSeconds`.
pub(super) fn assume_role(st: &Ecr, caller: &Principal, body: &[u8]) -> Response {
    let form = form(body);
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    if field("Action") != "AssumeRole" {
        return refuse(true, 400, "InvalidAction", "Could not find operation");
    }
    let role = field("RoleArn");
    if !caller.actions.contains(&"sts:AssumeRole")
        || role != ROLE_ARN
        || field("ExternalId") != EXTERNAL_ID
    {
        let message = format!(
            "User: {} is not authorized to perform: sts:AssumeRole on resource: {role}",
            caller.arn
        );
        return refuse(true, 403, "AccessDenied", &message);
    }
    let seconds: i64 = field("DurationSeconds").parse().unwrap_or(3600);
    let session = field("RoleSessionName");
    let arn = format!("arn:aws:sts::{ACCOUNT}:assumed-role/crowsnest-scan/{session}");
    credentials_xml("AssumeRole", session, issue(st, arn, seconds))
}

/// STS `AssumeRoleWithWebIdentity` (unsigned): [`WEB_IDENTITY_TOKEN`] may assume [`ROLE_ARN`].
pub(super) fn assume_role_with_web_identity(st: &Ecr, body: &[u8]) -> Response {
    let form = form(body);
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    if field("WebIdentityToken") != WEB_IDENTITY_TOKEN {
        return refuse(
            true,
            400,
            "InvalidIdentityToken",
            "Couldn't retrieve verification key from your identity provider",
        );
    }
    let role = field("RoleArn");
    if role != ROLE_ARN {
        let message = format!("Not authorized to perform sts:AssumeRoleWithWebIdentity on {role}");
        return refuse(true, 403, "AccessDenied", &message);
    }
    let session = field("RoleSessionName");
    let arn = format!("arn:aws:sts::{ACCOUNT}:assumed-role/crowsnest-scan/{session}");
    credentials_xml("AssumeRoleWithWebIdentity", session, issue(st, arn, 3600))
}

/// IMDSv2 under `/latest/`: `None` for any other path.
pub(super) fn imds(st: &Ecr, method: &Method, path: &str, headers: &HeaderMap) -> Option<Response> {
    let header = |k: &str| headers.get(k).and_then(|v| v.to_str().ok());
    if path == "/latest/api/token" {
        // IMDSv2 hands a session token only to a PUT that says how long it should live.
        let ttl: Option<u32> =
            header("x-aws-ec2-metadata-token-ttl-seconds").and_then(|t| t.parse().ok());
        return Some(match (method == Method::PUT, ttl) {
            (true, Some(1..=21600)) => IMDS_TOKEN.into_response(),
            (true, _) => StatusCode::BAD_REQUEST.into_response(),
            (false, _) => StatusCode::METHOD_NOT_ALLOWED.into_response(),
        });
    }
    let rest = path.strip_prefix("/latest/meta-data/iam/security-credentials/")?;
    if header("x-aws-ec2-metadata-token") != Some(IMDS_TOKEN) {
        return Some(StatusCode::UNAUTHORIZED.into_response());
    }
    Some(match rest {
        "" => INSTANCE_ROLE.into_response(),
        r if r == INSTANCE_ROLE => {
            let arn =
                format!("arn:aws:sts::{ACCOUNT}:assumed-role/{INSTANCE_ROLE}/i-0123456789abcdef0");
            let (key, secret, token, expires) = issue(st, arn, 6 * 3600);
            axum::Json(json!({
                "Code": "Success",
                "LastUpdated": rfc3339(now()),
                "Type": "AWS-HMAC",
                "AccessKeyId": key,
                "SecretAccessKey": secret,
                "Token": token,
                "Expiration": rfc3339(expires),
            }))
            .into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    })
}

/// Form decoding: `+` is a space, `%XX` a byte.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_values_decode() {
        assert_eq!(
            decode("arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fx"),
            "arn:aws:iam::1:role/x"
        );
        assert_eq!(decode("a+b%2"), "a b%2");
    }
}
