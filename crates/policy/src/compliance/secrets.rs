//! Secrets in environment variables (check 424): by the variable's name and by the shape of its
//! value. Only names ever leave this module; values are looked at and forgotten.

/// Name words that mark a secret on their own.
const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "SECRET",
    "TOKEN",
    "CREDENTIAL",
    "CREDENTIALS",
    "APIKEY",
    "ACCESSKEY",
    "PRIVATEKEY",
];
/// Word pairs that mark a secret together (`API_KEY`, `SECRET_KEY`, `ACCESS_KEY`).
const SECRET_PAIRS: &[(&str, &str)] = &[
    ("API", "KEY"),
    ("ACCESS", "KEY"),
    ("PRIVATE", "KEY"),
    ("SECRET", "KEY"),
    ("AUTH", "KEY"),
    ("CLIENT", "SECRET"),
];
/// Name endings that say the value points at a secret rather than being one
/// (`POSTGRES_PASSWORD_FILE=/run/secrets/pw`), or is about one (`TOKEN_URL`).
const POINTER_SUFFIXES: &[&str] = &[
    "FILE", "PATH", "DIR", "URL", "URI", "ENDPOINT", "TTL", "LENGTH",
];

/// Upper-cased words of a name, split at separators and at camelCase humps (`clientSecret`).
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        let boundary = !c.is_ascii_alphanumeric() || (c.is_ascii_uppercase() && prev_lower);
        if boundary && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if c.is_ascii_alphanumeric() {
            cur.push(c.to_ascii_uppercase());
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn name_is_secret(name: &str) -> bool {
    let w = words(name);
    if w.last()
        .is_some_and(|l| POINTER_SUFFIXES.contains(&l.as_str()))
    {
        return false;
    }
    w.iter().any(|x| SECRET_WORDS.contains(&x.as_str()))
        || w.windows(2)
            .any(|p| SECRET_PAIRS.contains(&(p[0].as_str(), p[1].as_str())))
}

fn all(s: &str, ok: impl Fn(u8) -> bool) -> bool {
    s.bytes().all(ok)
}

/// AWS access key ids: a four-letter prefix and 16 upper-case letters or digits.
fn aws_key_id(token: &str) -> bool {
    [
        "AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA",
    ]
    .iter()
    .any(|p| token.starts_with(p))
        && token.len() == 20
        && all(token, |b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn prefixed(token: &str, prefixes: &[&str], min_rest: usize) -> bool {
    prefixes.iter().any(|p| {
        token.strip_prefix(p).is_some_and(|rest| {
            rest.len() >= min_rest
                && all(rest, |b| {
                    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
                })
        })
    })
}

/// `scheme://user:password@host`: a URL carrying a password.
fn url_with_password(value: &str) -> bool {
    value.split_whitespace().any(|token| {
        let Some((_, rest)) = token.split_once("://") else {
            return false;
        };
        let authority = rest.split('/').next().unwrap_or("");
        let Some((userinfo, host)) = authority.rsplit_once('@') else {
            return false;
        };
        matches!(userinfo.split_once(':'), Some((_, pw)) if !pw.is_empty()) && !host.is_empty()
    })
}

fn value_is_secret(value: &str) -> bool {
    if value.contains("PRIVATE KEY-----") {
        return true;
    }
    if url_with_password(value) {
        return true;
    }
    value
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '"' | '\'' | '=' | ':'))
        .any(|t| {
            aws_key_id(t)
                || prefixed(t, &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"], 30)
                || prefixed(t, &["github_pat_"], 40)
                || prefixed(t, &["glpat-"], 20)
                || prefixed(t, &["xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-"], 10)
                || prefixed(t, &["sk_live_", "rk_live_"], 16)
                || (t.starts_with("AIza") && t.len() == 39 && prefixed(t, &["AIza"], 35))
        })
}

/// A value that is only a reference to be filled in later (`$DB_PASSWORD`, `${X}`) is no secret.
fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    v.is_empty() || (v.starts_with('$') && !v.contains(' '))
}

/// Names of the `NAME=value` entries that hold secrets, in input order, each once.
pub(crate) fn secret_env_names(env: &[String]) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for entry in env {
        let (name, value) = entry.split_once('=').unwrap_or((entry.as_str(), ""));
        let secret = (!is_placeholder(value) && name_is_secret(name)) || value_is_secret(value);
        if secret && !found.iter().any(|f| f == name) {
            found.push(name.to_string());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(entries: &[&str]) -> Vec<String> {
        entries.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn by_name() {
        let e = env(&[
            "DB_PASSWORD=hunter2",
            "MYSQL_ROOT_PASSWD=x",
            "GITHUB_TOKEN=abc",
            "STRIPE_API_KEY=abc",
            "AWS_SECRET_ACCESS_KEY=abc",
            "clientSecret=abc",
            "OAUTH_CLIENT_SECRET=abc",
        ]);
        assert_eq!(
            secret_env_names(&e).len(),
            e.len(),
            "{:?}",
            secret_env_names(&e)
        );
    }

    #[test]
    fn by_value() {
        let e = env(&[
            "X=AKIAIOSFODNN7EXAMPLE",
            "CFG=--key=AKIAIOSFODNN7EXAMPLE",
            "GH=ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            "DSN=postgres://app:s3cret@db:5432/app",
            "PEM=-----BEGIN RSA PRIVATE KEY----- MIIE",
            "SLACK=xoxb-1234567890-abcdef",
        ]);
        assert_eq!(
            secret_env_names(&e),
            vec!["X", "CFG", "GH", "DSN", "PEM", "SLACK"]
        );
    }

    #[test]
    fn real_image_environments_are_clean() {
        // Environments of official images: python, node, postgres, golang.
        let e = env(&[
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "LANG=C.UTF-8",
            "GPG_KEY=7169605F62C751356D054A26A821E680E5FA6305",
            "PYTHON_VERSION=3.12.1",
            "PYTHON_SHA256=8c1f9b4d",
            "NODE_VERSION=20.11.0",
            "YARN_VERSION=1.22.19",
            "PGDATA=/var/lib/postgresql/data",
            "POSTGRES_PASSWORD_FILE=/run/secrets/pg",
            "GOTOOLCHAIN=local",
            "DB_PASSWORD=",
            "API_TOKEN=${API_TOKEN}",
            "PWD=/app",
            "HOME=/root",
            "AUTH_URL=https://login.example/",
            "REPO=https://example.com/a:b",
        ]);
        assert!(
            secret_env_names(&e).is_empty(),
            "{:?}",
            secret_env_names(&e)
        );
    }

    #[test]
    fn duplicates_and_odd_entries() {
        let e = env(&[
            "TOKEN=a",
            "TOKEN=b",
            "NOEQUALS",
            "=",
            "=AKIAIOSFODNN7EXAMPLE",
        ]);
        assert_eq!(secret_env_names(&e), vec!["TOKEN", ""]);
    }
}
