//! Pagination of `/v2/_catalog` and `/v2/<name>/tags/list`: the `Link: <…>; rel="next"` header,
//! whose target may be relative (distribution) or absolute (some proxies and SaaS registries).

use reqwest::Url;

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
