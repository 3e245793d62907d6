//! Pagination of `/v2/_catalog` and `/v2/<name>/tags/list`, read one page at a time.
//!
//! A registry decides how many names a page holds and whether another page follows (the
//! `Link: <…>; rel="next"` header, whose target may be relative as distribution sends it or
//! absolute as some proxies and SaaS registries do). A hostile or broken registry can answer
//! "next" forever, so a [`Listing`] is bounded three ways: a page body is refused past
//! [`ClientOptions::max_page_bytes`](super::ClientOptions::max_page_bytes), the listing stops
//! with [`RegistryError::TooMany`] past
//! [`ClientOptions::max_list_entries`](super::ClientOptions::max_list_entries) names, and a
//! `Link` back to a page already read ends it. Names are handed to the caller's visitor while
//! the page is parsed, never collected here, so memory holds one page body plus whatever the
//! caller decides to keep.

use super::transport::{Call, Want};
use super::{MAX_PAGES, RegistryClient};
use crate::RegistryError;
use reqwest::{Method, Url};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};

/// What the visitor says about one name; an `Err` stops the listing with that error.
pub type Visit<'v> = &'v mut (dyn FnMut(&str) -> Result<(), RegistryError> + Send);

/// A catalog or tag list being read page by page (from [`RegistryClient::catalog_listing`] or
/// [`RegistryClient::tag_listing`]).
#[derive(Debug)]
pub struct Listing {
    client: RegistryClient,
    what: String,
    items: &'static str,
    field: &'static str,
    scope: String,
    next: Option<Url>,
    /// Hashes of the page URLs read, to notice a `Link` cycle without keeping the URLs.
    seen: HashSet<u64>,
    hasher: RandomState,
    names: u64,
    pages: usize,
}

impl Listing {
    pub(super) fn new(
        client: RegistryClient,
        what: String,
        items: &'static str,
        field: &'static str,
        scope: String,
        first: Url,
    ) -> Listing {
        Listing {
            client,
            what,
            items,
            field,
            scope,
            next: Some(first),
            seen: HashSet::new(),
            hasher: RandomState::new(),
            names: 0,
            pages: 0,
        }
    }

    /// What is being listed, as errors name it (`catalog of host:5000`, `tags of a/b at host`).
    pub fn what(&self) -> &str {
        &self.what
    }

    /// Names read so far, over every page.
    pub fn names_read(&self) -> u64 {
        self.names
    }

    /// Reads the next page and calls `visit` once per name in it. `Ok(false)` when the listing
    /// had already ended (nothing was requested).
    pub async fn next_page(&mut self, visit: Visit<'_>) -> Result<bool, RegistryError> {
        let Some(url) = self.next.take() else {
            return Ok(false);
        };
        if self.pages >= MAX_PAGES {
            return Err(RegistryError::TooMany {
                what: self.what.clone(),
                limit: MAX_PAGES as u64,
                items: "pages",
                hint: "a registry that keeps answering \"next\" is broken, not big",
            });
        }
        self.pages += 1;
        self.seen.insert(self.hasher.hash_one(url.as_str()));
        let inner = &self.client.inner;
        let reply = inner
            .call(
                Call {
                    method: Method::GET,
                    url: url.clone(),
                    accept: Some("application/json"),
                    scope: Some(self.scope.clone()),
                },
                Want::Bytes(inner.opts.max_page_bytes),
            )
            .await?;
        let limit = inner.opts.max_list_entries;
        let (what, items, names) = (&self.what, self.items, &mut self.names);
        let mut counted = |name: &str| {
            *names += 1;
            if *names > limit {
                return Err(RegistryError::TooMany {
                    what: what.clone(),
                    limit,
                    items,
                    hint: "the registry lists more names than discovery reads",
                });
            }
            visit(name)
        };
        parse_page(&reply.body, self.field, &mut counted).map_err(|f| match f {
            Failure::Stopped(e) => e,
            Failure::Json(e) => RegistryError::malformed(url.as_str(), e),
        })?;
        let links = reply
            .headers
            .get_all(reqwest::header::LINK)
            .iter()
            .filter_map(|v| v.to_str().ok());
        self.next = next_link(links, &reply.url)
            .filter(|next| !self.seen.contains(&self.hasher.hash_one(next.as_str())));
        Ok(true)
    }

    /// Every remaining name, collected (still bounded by the entry limit).
    pub async fn collect(mut self) -> Result<Vec<String>, RegistryError> {
        let mut out = Vec::new();
        let mut keep = |name: &str| {
            out.push(name.to_string());
            Ok(())
        };
        while self.next_page(&mut keep).await? {}
        Ok(out)
    }
}

enum Failure {
    /// The visitor refused a name.
    Stopped(RegistryError),
    Json(String),
}

/// Parses `{"<field>": [names…], …}`, calling `visit` per name as the parser reaches it; a
/// missing or `null` field is an empty page.
fn parse_page(
    body: &[u8],
    field: &str,
    visit: &mut dyn FnMut(&str) -> Result<(), RegistryError>,
) -> Result<(), Failure> {
    let mut stopped = None;
    let mut de = serde_json::Deserializer::from_slice(body);
    let parsed = Page {
        field,
        visit,
        stopped: &mut stopped,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    match (stopped, parsed) {
        (Some(e), _) => Err(Failure::Stopped(e)),
        (None, Err(e)) => Err(Failure::Json(format!("not a {field} page: {e}"))),
        (None, Ok(())) => Ok(()),
    }
}

struct Page<'v> {
    field: &'v str,
    visit: &'v mut dyn FnMut(&str) -> Result<(), RegistryError>,
    stopped: &'v mut Option<RegistryError>,
}

impl<'de> DeserializeSeed<'de> for Page<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Page<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == self.field {
                map.next_value_seed(Names {
                    visit: &mut *self.visit,
                    stopped: &mut *self.stopped,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct Names<'v> {
    visit: &'v mut dyn FnMut(&str) -> Result<(), RegistryError>,
    stopped: &'v mut Option<RegistryError>,
}

impl<'de> DeserializeSeed<'de> for Names<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for Names<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of names")
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(name) = seq.next_element::<std::borrow::Cow<'de, str>>()? {
            if let Err(e) = (self.visit)(&name) {
                *self.stopped = Some(e);
                return Err(de::Error::custom("stopped by the caller"));
            }
        }
        Ok(())
    }
}

/// The `rel="next"` target among all `Link` header values, resolved against `current`.
pub(crate) fn next_link<'a>(values: impl Iterator<Item = &'a str>, current: &Url) -> Option<Url> {
    for value in values {
        let mut rest = value;
        while let Some(open) = rest.find('<') {
            let after = &rest[open + 1..];
            let close = after.find('>')?;
            let target = &after[..close];
            let params_end = after[close..].find('<').map_or(after.len(), |i| close + i);
            let params = &after[close + 1..params_end];
            let is_next = params.split(';').any(|p| {
                let p = p.trim().trim_end_matches(',').trim();
                p.split_once('=').is_some_and(|(k, v)| {
                    k.trim().eq_ignore_ascii_case("rel")
                        && v.trim()
                            .trim_matches('"')
                            .split(' ')
                            .any(|r| r.eq_ignore_ascii_case("next"))
                })
            });
            if is_next {
                return current.join(target).ok();
            }
            rest = &after[params_end..];
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(body: &str, field: &str) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        let mut keep = |n: &str| {
            if n == "stop" {
                return Err(RegistryError::Spec("visitor stopped".into()));
            }
            out.push(n.to_string());
            Ok(())
        };
        match parse_page(body.as_bytes(), field, &mut keep) {
            Ok(()) => Ok(out),
            Err(Failure::Stopped(e)) => Err(e.to_string()),
            Err(Failure::Json(e)) => Err(e),
        }
    }

    #[test]
    fn pages_are_visited_name_by_name() {
        assert_eq!(
            names(
                r#"{"name":"a","tags":["x","y\u0041"],"extra":{"k":[1]}}"#,
                "tags"
            )
            .unwrap(),
            ["x", "yA"]
        );
        assert!(names(r#"{"tags":null}"#, "tags").unwrap().is_empty());
        assert!(
            names(r#"{"repositories":["x"]}"#, "tags")
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            names(r#"{"tags":["a","stop","b"]}"#, "tags").unwrap_err(),
            "visitor stopped"
        );
        for bad in [
            r#"{"tags":"x"}"#,
            r#"{"tags":[1]}"#,
            r#"["x"]"#,
            "not json",
            r#"{"tags":[]} trailing"#,
        ] {
            let e = names(bad, "tags").unwrap_err();
            assert!(e.starts_with("not a tags page"), "{bad}: {e}");
        }
    }

    #[test]
    fn relative_absolute_and_other_rels() {
        let cur = Url::parse("http://127.0.0.1:5000/v2/_catalog?n=5").unwrap();
        let n = next_link(
            std::iter::once(r#"</v2/_catalog?last=b&n=5>; rel="next""#),
            &cur,
        );
        assert_eq!(
            n.unwrap().as_str(),
            "http://127.0.0.1:5000/v2/_catalog?last=b&n=5"
        );
        let n = next_link(
            std::iter::once(
                r#"<https://h/first>; rel="prev", <https://other:1/v2/x/tags/list?last=t>; rel=next"#,
            ),
            &cur,
        );
        assert_eq!(n.unwrap().as_str(), "https://other:1/v2/x/tags/list?last=t");
        assert_eq!(
            next_link(std::iter::once(r#"</p>; rel="prev""#), &cur),
            None
        );
        assert_eq!(
            next_link(std::iter::once("garbage <unterminated"), &cur),
            None
        );
        assert_eq!(next_link(std::iter::empty(), &cur), None);
    }
}
