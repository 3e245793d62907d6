//! Type `"aws"`: Amazon ECR's control plane and STS, simulated in front of the upstream
//! registry, built from AWS's API reference (ECR `API_*` pages, STS `AssumeRole`) and checked
//! with boto3.
//!
//! - `POST /` with `X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.<Op>` (JSON 1.1):
//!   `GetAuthorizationToken`, `DescribeRepositories`, `DescribeImages`, `ListImages`, each
//!   signed with SigV4 for service `ecr` in [`REGION`] and checked ([`signature`]), paged with
//!   opaque `nextToken`s at most `page_size` items a page.
//! - `POST /` with a form body `Action=AssumeRole` (STS query API, XML answers): the role
//!   [`ROLE_ARN`], which demands the external ID [`EXTERNAL_ID`].
//! - `POST /` with `Action=AssumeRoleWithWebIdentity` (unsigned): [`WEB_IDENTITY_TOKEN`] for
//!   [`ROLE_ARN`]; IMDSv2 under `/latest/` for the instance role [`INSTANCE_ROLE`]
//!   ([`identity`]).
//! - `/v2/…`: the upstream registry behind Basic `AWS:<token>` from `GetAuthorizationToken`
//!   (12 hours), with ECR's 401 challenge; `POST /_sim/expire-tokens` makes every issued login
//!   lapse (for tests of renewal).
//!
//! IAM: [`READER`] may do everything a scan needs; [`NO_DESCRIBE`] lacks `ecr:DescribeImages`;
//! [`EXPIRED`] is a temporary key whose session token has expired. Errors carry AWS's JSON
//! `__type`/`message` (STS: XML `Code`/`Message`) and status codes. Push dates are the upstream
//! configs' `created`.

mod identity;
mod signature;

pub use identity::{INSTANCE_ROLE, WEB_IDENTITY_TOKEN};

use super::{RunningSim, SimInfo, SimOptions, Upstream, UpstreamImage, forward};
use crate::Result;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The simulated account and region.
pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";
/// An IAM user with every read permission (and `sts:AssumeRole`): (access key, secret).
pub const READER: (&str, &str) = ("AKIASIMREADER0000001", "sim-reader-secret/K7MDENG+bPxRfi");
/// An IAM user without `ecr:DescribeImages`.
pub const NO_DESCRIBE: (&str, &str) = ("AKIASIMNODESCRIBE001", "sim-nodescribe-secret");
/// Temporary keys whose session token has expired: (access key, secret, session token).
pub const EXPIRED: (&str, &str, &str) = (
    "ASIASIMEXPIRED000001",
    "sim-expired-secret",
    "sim-expired-session-token",
);
/// The role READER may assume, and the external ID its trust policy demands.
pub const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/crowsnest-scan";
pub const EXTERNAL_ID: &str = "crowsnest-sim-external-id";

const ALL_ACTIONS: &[&str] = &[
    "ecr:GetAuthorizationToken",
    "ecr:DescribeRepositories",
    "ecr:DescribeImages",
    "ecr:ListImages",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "sts:AssumeRole",
];

/// An identity the simulator knows.
#[derive(Clone)]
struct Principal {
    arn: String,
    secret: String,
    session_token: Option<String>,
    /// Epoch seconds after which the session token is refused.
    expires: Option<i64>,
    actions: Vec<&'static str>,
}

struct Ecr {
    http: reqwest::Client,
    upstream: Upstream,
    /// The upstream's images by repository (listings are served from it, not by a scan).
    by_repo: BTreeMap<String, Vec<UpstreamImage>>,
    url: String,
    /// Manifest digest → its config's media type (ECR's `artifactMediaType`), read from the
    /// upstream on first listing.
    configs: Mutex<HashMap<String, Option<String>>>,
    page_size: usize,
    principals: Mutex<HashMap<String, Principal>>,
    /// Issued v2 passwords → epoch seconds of expiry.
    logins: Mutex<HashMap<String, i64>>,
    serial: AtomicU64,
}

pub(crate) fn start(
    listener: tokio::net::TcpListener,
    upstream: Upstream,
    options: &SimOptions,
) -> Result<RunningSim> {
    let mut principals = HashMap::new();
    let user = |name: &str, secret: &str, actions: Vec<&'static str>| Principal {
        arn: format!("arn:aws:iam::{ACCOUNT}:user/{name}"),
        secret: secret.into(),
        session_token: None,
        expires: None,
        actions,
    };
    principals.insert(
        READER.0.to_string(),
        user("sim-reader", READER.1, ALL_ACTIONS.to_vec()),
    );
    let limited = ALL_ACTIONS
        .iter()
        .copied()
        .filter(|a| *a != "ecr:DescribeImages")
        .collect();
    principals.insert(
        NO_DESCRIBE.0.to_string(),
        user("sim-nodescribe", NO_DESCRIBE.1, limited),
    );
    principals.insert(
        EXPIRED.0.to_string(),
        Principal {
            arn: format!("arn:aws:sts::{ACCOUNT}:assumed-role/crowsnest-scan/old"),
            secret: EXPIRED.1.into(),
            session_token: Some(EXPIRED.2.into()),
            expires: Some(0),
            actions: ALL_ACTIONS.to_vec(),
        },
    );
    let url = format!(
        "http://{}",
        listener.local_addr().map_err(crate::Error::from_display)?
    );
    let images = upstream.images.clone();
    let mut by_repo: BTreeMap<String, Vec<UpstreamImage>> = BTreeMap::new();
    for i in &images {
        by_repo.entry(i.repo.clone()).or_default().push(i.clone());
    }
    let state = Arc::new(Ecr {
        http: reqwest::Client::new(),
        upstream,
        by_repo,
        url: url.clone(),
        configs: Mutex::new(HashMap::new()),
        page_size: options.page_size.max(1),
        principals: Mutex::new(principals),
        logins: Mutex::new(HashMap::new()),
        serial: AtomicU64::new(0),
    });
    let app = axum::Router::new().fallback(route).with_state(state);
    RunningSim::spawn(listener, app, move |url| SimInfo {
        kind: "aws".into(),
        env: BTreeMap::from([
            ("AWS_ENDPOINT_URL_ECR".to_string(), url.to_string()),
            ("AWS_ENDPOINT_URL_STS".to_string(), url.to_string()),
            ("AWS_REGION".to_string(), REGION.to_string()),
        ]),
        credential: Some(json!({
            "_id": "sim-aws",
            "type": "aws",
            "accountID": READER.0,
            "secret": { "plain": READER.1 },
        })),
        spec: json!({
            "version": "aws",
            "registry": url,
            "credentialID": "sim-aws",
            "repository": "*",
            "tag": "*",
            "os": "linux",
            "cap": 0,
            "scanners": 1,
        }),
        images,
    })
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

async fn route(State(st): State<Arc<Ecr>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    if path == "/v2" || path.starts_with("/v2/") {
        return v2(&st, req).await;
    }
    if path == "/_sim/expire-tokens" {
        st.logins
            .lock()
            .unwrap()
            .values_mut()
            .for_each(|e| *e = now() - 1);
        return StatusCode::NO_CONTENT.into_response();
    }
    let (parts, body) = req.into_parts();
    if let Some(answer) = identity::imds(&st, &parts.method, &path, &parts.headers) {
        return answer;
    }
    let Ok(body) = axum::body::to_bytes(body, 1 << 20).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let query = parts.uri.query().unwrap_or_default();
    let sts = target.is_none();
    let service = if sts { "sts" } else { "ecr" };
    // The one unsigned STS call: a pod's web identity token is its proof.
    if sts
        && identity::form(&body).get("Action").map(String::as_str)
            == Some("AssumeRoleWithWebIdentity")
    {
        return identity::assume_role_with_web_identity(&st, &body);
    }
    let caller = match authenticate(
        &st,
        &parts.method,
        &path,
        query,
        &parts.headers,
        &body,
        service,
    ) {
        Ok(p) => p,
        Err((status, code, message)) => return refuse(sts, status, code, &message),
    };
    if sts {
        return identity::assume_role(&st, &caller, &body);
    }
    let target = target.unwrap_or_default();
    let Some(op) = target.strip_prefix("AmazonEC2ContainerRegistry_V20150921.") else {
        return refuse(false, 400, "UnknownOperationException", "");
    };
    let input: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let action = format!("ecr:{op}");
    if !caller.actions.iter().any(|a| *a == action) {
        let repo = input["repositoryName"].as_str().unwrap_or("*");
        let message = format!(
            "User: {} is not authorized to perform: {action} on resource: \
             arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{repo} because no identity-based policy \
             allows the {action} action",
            caller.arn
        );
        return refuse(false, 400, "AccessDeniedException", &message);
    }
    if op == "DescribeImages" {
        learn_configs(&st, input["repositoryName"].as_str().unwrap_or_default()).await;
    }
    let result = match op {
        "GetAuthorizationToken" => Ok(authorization(&st)),
        "DescribeRepositories" => describe_repositories(&st, &input),
        "DescribeImages" => describe_images(&st, &input, false),
        "ListImages" => describe_images(&st, &input, true),
        _ => Err((400, "UnknownOperationException", String::new())),
    };
    match result {
        Ok(v) => (
            [("content-type", "application/x-amz-json-1.1")],
            v.to_string(),
        )
            .into_response(),
        Err((status, code, message)) => refuse(false, status, code, &message),
    }
}

type Failure = (u16, &'static str, String);

/// The principal a signed request comes from, or AWS's refusal.
fn authenticate(
    st: &Ecr,
    method: &axum::http::Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
    service: &str,
) -> std::result::Result<Principal, Failure> {
    let claimed = signature::parse(headers).map_err(|r| {
        let status = if r.code == "MissingAuthenticationTokenException" {
            403
        } else {
            400
        };
        (status, r.code, r.message)
    })?;
    let principal = st
        .principals
        .lock()
        .unwrap()
        .get(&claimed.access_key)
        .cloned();
    let Some(principal) = principal else {
        return Err(if service == "sts" {
            (
                403,
                "InvalidClientTokenId",
                "The security token included in the request is invalid.".into(),
            )
        } else {
            (
                403,
                "UnrecognizedClientException",
                "The security token included in the request is invalid.".into(),
            )
        });
    };
    if claimed.service != service {
        return Err((
            403,
            "InvalidSignatureException",
            format!("Credential should be scoped to correct service: '{service}'. "),
        ));
    }
    if claimed.region != REGION && !(service == "sts" && claimed.region == "us-east-1") {
        return Err((
            403,
            "InvalidSignatureException",
            format!(
                "Credential should be scoped to a valid region, not '{}'. ",
                claimed.region
            ),
        ));
    }
    signature::verify(
        &claimed,
        &principal.secret,
        method.as_str(),
        path,
        query,
        headers,
        body,
        jiff::Timestamp::now(),
    )
    .map_err(|r| {
        let code = if service == "sts" && r.code == "InvalidSignatureException" {
            "SignatureDoesNotMatch"
        } else {
            r.code
        };
        (403, code, r.message)
    })?;
    if let Some(token) = &principal.session_token {
        let sent = headers
            .get("x-amz-security-token")
            .and_then(|v| v.to_str().ok());
        if sent != Some(token.as_str()) {
            return Err((
                403,
                "UnrecognizedClientException",
                "The security token included in the request is invalid.".into(),
            ));
        }
        if principal.expires.is_some_and(|e| e <= now()) {
            let code = if service == "sts" {
                "ExpiredToken"
            } else {
                "ExpiredTokenException"
            };
            return Err((
                403,
                code,
                "The security token included in the request is expired".into(),
            ));
        }
    }
    Ok(principal)
}

/// ECR's JSON error, or STS's XML one.
fn refuse(sts: bool, status: u16, code: &str, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    if sts {
        let xml = format!(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>\
             <Type>Sender</Type><Code>{code}</Code><Message>{}</Message></Error>\
             <RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>",
            escape(message)
        );
        return (status, [("content-type", "text/xml")], xml).into_response();
    }
    let mut body = json!({ "__type": code });
    if !message.is_empty() {
        body["message"] = json!(message);
    }
    (
        status,
        [("content-type", "application/x-amz-json-1.1")],
        body.to_string(),
    )
        .into_response()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A new v2 password, valid 12 hours.
fn authorization(st: &Ecr) -> Value {
    let n = st.serial.fetch_add(1, Ordering::Relaxed);
    let password = format!("sim-ecr-login-{n}-{}", now());
    let expires = now() + 12 * 3600;
    st.logins.lock().unwrap().insert(password.clone(), expires);
    let token = base64::engine::general_purpose::STANDARD.encode(format!("AWS:{password}"));
    json!({ "authorizationData": [{
        "authorizationToken": token,
        "expiresAt": expires as f64,
        "proxyEndpoint": st.url,
    }]})
}

/// Items `[offset, offset + page)` of `total`, and the token of the next page.
fn page(
    input: &Value,
    kind: &str,
    total: usize,
    page_size: usize,
) -> std::result::Result<(usize, usize, Option<String>), Failure> {
    let max = match input.get("maxResults").and_then(Value::as_i64) {
        None => 100,
        Some(n @ 1..=1000) => n as usize,
        Some(n) => {
            return Err((
                400,
                "InvalidParameterException",
                format!(
                    "Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value between 1 and 1000' (got {n})"
                ),
            ));
        }
    };
    let start = match input.get("nextToken").and_then(Value::as_str) {
        None => 0,
        Some(t) => base64::engine::general_purpose::STANDARD
            .decode(t)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.strip_prefix(&format!("{kind}:"))?.parse().ok())
            .filter(|n| *n <= total)
            .ok_or((
                400,
                "InvalidParameterException",
                "Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid NextToken'".to_string(),
            ))?,
    };
    let end = (start + max.min(page_size)).min(total);
    let next = (end < total)
        .then(|| base64::engine::general_purpose::STANDARD.encode(format!("{kind}:{end}")));
    Ok((start, end, next))
}

fn check_registry(input: &Value) -> std::result::Result<(), Failure> {
    match input.get("registryId").and_then(Value::as_str) {
        Some(id) if id != ACCOUNT => Err((
            400,
            "RepositoryNotFoundException",
            format!("The repository does not exist in the registry with id '{id}'"),
        )),
        _ => Ok(()),
    }
}

fn not_found(repo: &str) -> Failure {
    (
        400,
        "RepositoryNotFoundException",
        format!(
            "The repository with name '{repo}' does not exist in the registry with id '{ACCOUNT}'"
        ),
    )
}

fn describe_repositories(st: &Ecr, input: &Value) -> std::result::Result<Value, Failure> {
    check_registry(input)?;
    let all: Vec<&str> = st.by_repo.keys().map(String::as_str).collect();
    let host = format!("{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com");
    let describe = |name: &str| {
        json!({
            "repositoryArn": format!("arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{name}"),
            "registryId": ACCOUNT,
            "repositoryName": name,
            "repositoryUri": format!("{host}/{name}"),
            "createdAt": 1_700_000_000.0,
            "imageTagMutability": "MUTABLE",
            "imageScanningConfiguration": { "scanOnPush": false },
            "encryptionConfiguration": { "encryptionType": "AES256" },
        })
    };
    if let Some(names) = input.get("repositoryNames").and_then(Value::as_array) {
        if input.get("nextToken").is_some() {
            return Err((
                400,
                "InvalidParameterException",
                "Invalid parameter: nextToken cannot be used with repositoryNames".into(),
            ));
        }
        let mut out = Vec::new();
        for n in names.iter().filter_map(Value::as_str) {
            if !all.contains(&n) {
                return Err(not_found(n));
            }
            out.push(describe(n));
        }
        return Ok(json!({ "repositories": out }));
    }
    let (start, end, next) = page(input, "repositories", all.len(), st.page_size)?;
    let mut v =
        json!({ "repositories": all[start..end].iter().map(|n| describe(n)).collect::<Vec<_>>() });
    if let Some(t) = next {
        v["nextToken"] = json!(t);
    }
    Ok(v)
}

/// `DescribeImages` (or `ListImages` when `ids_only`): one entry per digest with its tags.
fn describe_images(st: &Ecr, input: &Value, ids_only: bool) -> std::result::Result<Value, Failure> {
    check_registry(input)?;
    let repo = input["repositoryName"].as_str().unwrap_or_default();
    let Some(images) = st.by_repo.get(repo) else {
        return Err(not_found(repo));
    };
    if input["filter"]["tagStatus"].as_str() == Some("UNTAGGED") {
        return Ok(if ids_only {
            json!({ "imageIds": [] })
        } else {
            json!({ "imageDetails": [] })
        });
    }
    // Every upstream image is tagged; group tags by digest, in digest order.
    let mut by_digest: BTreeMap<&str, Vec<&UpstreamImage>> = BTreeMap::new();
    for i in images {
        by_digest.entry(i.digest.as_str()).or_default().push(i);
    }
    if ids_only {
        let ids: Vec<(&str, &str)> = by_digest
            .iter()
            .flat_map(|(d, is)| is.iter().map(move |i| (*d, i.tag.as_str())))
            .collect();
        let (start, end, next) = page(input, "images", ids.len(), st.page_size)?;
        let mut v = json!({ "imageIds": ids[start..end].iter().map(|(d, t)| json!({"imageDigest": d, "imageTag": t})).collect::<Vec<_>>() });
        if let Some(t) = next {
            v["nextToken"] = json!(t);
        }
        return Ok(v);
    }
    let groups: Vec<(&str, Vec<&UpstreamImage>)> = by_digest.into_iter().collect();
    let (start, end, next) = page(input, "images", groups.len(), st.page_size)?;
    let details: Vec<Value> = groups[start..end]
        .iter()
        .map(|(digest, images)| {
            let first = images[0];
            let pushed = first
                .created
                .as_deref()
                .and_then(|c| c.parse::<jiff::Timestamp>().ok())
                .map_or(1_600_000_000.0, |t| t.as_millisecond() as f64 / 1000.0);
            let mut d = json!({
                "registryId": ACCOUNT,
                "repositoryName": repo,
                "imageDigest": digest,
                "imageTags": images.iter().map(|i| i.tag.as_str()).collect::<Vec<_>>(),
                "imageSizeInBytes": 1024,
                "imagePushedAt": pushed,
                "imageManifestMediaType": first.media_type,
            });
            let config = st.configs.lock().unwrap().get(*digest).cloned().flatten();
            if let Some(config) = config {
                d["artifactMediaType"] = json!(config);
            }
            d
        })
        .collect();
    let mut v = json!({ "imageDetails": details });
    if let Some(t) = next {
        v["nextToken"] = json!(t);
    }
    Ok(v)
}

/// Reads the config media type of each of `repo`'s manifests not read yet (an index has none).
async fn learn_configs(st: &Ecr, repo: &str) {
    let Some(images) = st.by_repo.get(repo) else {
        return;
    };
    for i in images {
        if st.configs.lock().unwrap().contains_key(&i.digest) {
            continue;
        }
        let manifest: Value = match st
            .http
            .get(format!(
                "{}/v2/{repo}/manifests/{}",
                st.upstream.url, i.digest
            ))
            .header("accept", i.media_type.as_str())
            .send()
            .await
        {
            Ok(r) => r.json().await.unwrap_or_default(),
            Err(_) => Value::Null,
        };
        let config = manifest["config"]["mediaType"].as_str().map(str::to_string);
        st.configs.lock().unwrap().insert(i.digest.clone(), config);
    }
}

/// The data plane: Basic `AWS:<password>` with an unexpired password, then the upstream.
async fn v2(st: &Ecr, req: Request) -> Response {
    let login = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok());
    let expiry = login.as_deref().and_then(|l| {
        let (user, password) = l.split_once(':')?;
        (user == "AWS").then(|| st.logins.lock().unwrap().get(password).copied())?
    });
    let message = match expiry {
        Some(e) if e > now() => {
            let path = req
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_string();
            return forward(&st.http, &st.upstream.url, &path, req).await;
        }
        Some(_) => "Your authorization token has expired. Reauthenticate and try again.",
        None => "Not Authorized",
    };
    let mut resp = Response::new(Body::from(
        json!({ "errors": [{ "code": "DENIED", "message": message }] }).to_string(),
    ));
    *resp.status_mut() = StatusCode::UNAUTHORIZED;
    let challenge = format!(
        "Basic realm=\"https://{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/\",service=\"ecr.amazonaws.com\""
    );
    if let Ok(v) = challenge.parse() {
        resp.headers_mut().insert("www-authenticate", v);
    }
    resp.headers_mut().insert(
        "content-type",
        axum::http::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_refuse_bad_tokens() {
        let (s, e, next) = page(&json!({"maxResults": 1000}), "images", 5, 2).unwrap();
        assert_eq!((s, e), (0, 2));
        let (s, e, next) = page(&json!({"nextToken": next.unwrap()}), "images", 5, 2).unwrap();
        assert_eq!((s, e), (2, 4));
        assert!(next.is_some());
        let bad = page(&json!({"nextToken": "nope"}), "images", 5, 2).unwrap_err();
        assert_eq!(bad.1, "InvalidParameterException");
        assert_eq!(
            page(&json!({"maxResults": 0}), "images", 5, 2)
                .unwrap_err()
                .1,
            "InvalidParameterException"
        );
    }
}
