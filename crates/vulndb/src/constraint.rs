//! Parsers for the requirement languages advisory feeds write affected ranges in (RubyGems,
//! Composer, node-semver). Each turns text into a [`VersionSet`] of plain comparisons, so the
//! matcher needs only the ecosystem's comparator. Unparseable text is a typed error: the record
//! is then counted as malformed rather than matched on a guess.

use crate::record::{Cmp, Op, VersionSet};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read requirement {input:?}: {reason}")]
pub struct ConstraintError {
    pub input: String,
    pub reason: &'static str,
}

fn err(input: &str, reason: &'static str) -> ConstraintError {
    ConstraintError {
        input: input.to_string(),
        reason,
    }
}

fn split_op(s: &str) -> (Option<Op>, &str, bool) {
    // Returns (op, rest, pessimistic).
    let s = s.trim();
    for (p, op, pess) in [
        ("~>", None, true),
        (">=", Some(Op::Ge), false),
        ("<=", Some(Op::Le), false),
        ("!=", Some(Op::Ne), false),
        ("==", Some(Op::Eq), false),
        (">", Some(Op::Gt), false),
        ("<", Some(Op::Lt), false),
        ("=", Some(Op::Eq), false),
    ] {
        if let Some(rest) = s.strip_prefix(p) {
            return (op, rest.trim(), pess);
        }
    }
    (None, s, false)
}

fn plausible_version(v: &str) -> bool {
    !v.is_empty()
        && v.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && !v.chars().any(|c| c.is_whitespace() || c == ',' || c == '|')
}

/// One RubyGems requirement string: comma-separated `op version` pairs, all of which must hold
/// (`~> 6.1.7, >= 6.1.7.1`). `~> X.Y` means `>= X.Y, < X+1`; `~> X.Y.Z` means `>= X.Y.Z, < X.Y+1`.
pub(crate) fn rubygems_clause(input: &str) -> Result<Vec<Cmp>, ConstraintError> {
    let mut clause = Vec::new();
    for part in input.split(',') {
        let (op, v, pessimistic) = split_op(part);
        if !plausible_version(v) {
            return Err(err(input, "missing or invalid version"));
        }
        if pessimistic {
            clause.push(Cmp {
                op: Op::Ge,
                version: v.to_string(),
            });
            clause.push(Cmp {
                op: Op::Lt,
                version: bump_rubygems(v).ok_or_else(|| err(input, "bad ~> operand"))?,
            });
        } else {
            clause.push(Cmp {
                op: op.unwrap_or(Op::Eq),
                version: v.to_string(),
            });
        }
    }
    Ok(clause)
}

/// RubyGems' `Version#bump`: drop pre-release parts, drop the last segment when there are two
/// or more, then increment the new last segment.
fn bump_rubygems(v: &str) -> Option<String> {
    let mut segs: Vec<&str> = v
        .split('.')
        .take_while(|s| s.chars().all(|c| c.is_ascii_digit()) && !s.is_empty())
        .collect();
    if segs.is_empty() {
        return None;
    }
    if segs.len() > 1 {
        segs.pop();
    }
    let last: u64 = segs.last()?.parse().ok()?;
    let mut out: Vec<String> = segs[..segs.len() - 1]
        .iter()
        .map(|s| s.to_string())
        .collect();
    out.push((last + 1).to_string());
    Some(out.join("."))
}

/// A list of RubyGems requirement strings, any of which may match.
pub(crate) fn rubygems_set(list: &[String]) -> Result<VersionSet, ConstraintError> {
    let clauses = list
        .iter()
        .map(|s| rubygems_clause(s))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(VersionSet { clauses })
}

/// Composer constraints that together form one interval (FriendsOfPHP's `['>=2.0.0', '<2.4.8']`).
/// Each item may itself hold several comparisons separated by `,` or spaces.
pub(crate) fn composer_clause(items: &[String]) -> Result<Vec<Cmp>, ConstraintError> {
    let mut clause = Vec::new();
    for item in items {
        if item.contains("||") || item.contains('|') {
            return Err(err(item, "alternatives inside one FriendsOfPHP branch"));
        }
        for part in item.split([',', ' ']).filter(|p| !p.trim().is_empty()) {
            let (op, v, pessimistic) = split_op(part);
            if pessimistic || !plausible_version(v) {
                return Err(err(item, "unsupported comparison"));
            }
            clause.push(Cmp {
                op: op.unwrap_or(Op::Eq),
                version: v.trim_start_matches(['v', 'V']).to_string(),
            });
        }
    }
    if clause.is_empty() {
        return Err(err(&items.join(","), "empty constraint"));
    }
    Ok(clause)
}

/// A node-semver range (`>=1.0.0 <1.2.3 || ^2.1.0`, `1.x`, `~1.2`, `1.2.3 - 1.4.0`, `*`).
/// Pre-release tags are compared like any version; node-semver's rule that hides pre-releases
/// from ranges without one is not applied, so a pre-release is never silently excluded.
pub(crate) fn node_semver(input: &str) -> Result<VersionSet, ConstraintError> {
    let mut clauses = Vec::new();
    for alt in input.split("||") {
        let alt = alt.trim();
        let mut clause = Vec::new();
        if let Some((lo, hi)) = alt.split_once(" - ") {
            // The lower bound of a hyphen range is inclusive however partial it is.
            let (_, lo_v) = partial(lo.trim()).ok_or_else(|| err(input, "bad version"))?;
            clause.push(Cmp {
                op: Op::Ge,
                version: lo_v,
            });
            let (hi_parts, hi_v) = partial(hi.trim()).ok_or_else(|| err(input, "bad version"))?;
            if hi_parts.len() == 3 {
                clause.push(Cmp {
                    op: Op::Le,
                    version: hi_v,
                });
            } else {
                clause.push(Cmp {
                    op: Op::Lt,
                    version: next_of(&hi_parts),
                });
            }
            clauses.push(clause);
            continue;
        }
        // Join a bare operator with the version after it (`>= 1.2.3`).
        let mut tokens: Vec<String> = Vec::new();
        let mut pending = String::new();
        for t in alt.split_whitespace() {
            if t.chars().all(|c| matches!(c, '<' | '>' | '=' | '~' | '^')) {
                pending.push_str(t);
            } else {
                tokens.push(format!("{pending}{t}"));
                pending.clear();
            }
        }
        if !pending.is_empty() {
            return Err(err(input, "operator without a version"));
        }
        for t in tokens {
            node_comparator(&t, &mut clause).ok_or_else(|| err(input, "bad comparator"))?;
        }
        clauses.push(clause);
    }
    Ok(VersionSet { clauses })
}

/// Splits `1.2` / `1.x` / `1.2.3-beta.1` into its numeric parts (wildcards end the list) and the
/// version padded to three parts.
fn partial(v: &str) -> Option<(Vec<u64>, String)> {
    let v = v.trim().trim_start_matches(['v', '=']);
    if v.is_empty() || v == "*" || v.eq_ignore_ascii_case("x") {
        return Some((Vec::new(), "0.0.0".to_string()));
    }
    let (core, tail) = match v.find(['-', '+']) {
        Some(i) => (&v[..i], &v[i..]),
        None => (v, ""),
    };
    let mut parts = Vec::new();
    for seg in core.split('.') {
        if seg == "x" || seg == "X" || seg == "*" {
            break;
        }
        parts.push(seg.parse::<u64>().ok()?);
    }
    if parts.len() > 3 || (parts.len() < 3 && !tail.is_empty()) {
        return None;
    }
    let mut padded = parts.clone();
    padded.resize(3, 0);
    let text = format!("{}.{}.{}{}", padded[0], padded[1], padded[2], tail);
    Some((parts, text))
}

/// The first version above every version matching the partial `parts` (`1.2` → `1.3.0`).
fn next_of(parts: &[u64]) -> String {
    match parts {
        [] => "0.0.0".to_string(),
        [a] => format!("{}.0.0", a + 1),
        [a, b] => format!("{}.{}.0", a, b + 1),
        [a, b, c, ..] => format!("{a}.{b}.{}", c + 1),
    }
}

fn node_comparator(t: &str, clause: &mut Vec<Cmp>) -> Option<()> {
    let push = |clause: &mut Vec<Cmp>, op, version| clause.push(Cmp { op, version });
    if let Some(rest) = t.strip_prefix('^') {
        let (parts, v) = partial(rest)?;
        push(clause, Op::Ge, v);
        let upper = match parts.as_slice() {
            [] => return Some(()),
            [a] => format!("{}.0.0", a + 1),
            [0, b] => format!("0.{}.0", b + 1),
            [a, _] => format!("{}.0.0", a + 1),
            [0, 0, c] => format!("0.0.{}", c + 1),
            [0, b, _] => format!("0.{}.0", b + 1),
            [a, _, _] => format!("{}.0.0", a + 1),
            _ => return None,
        };
        push(clause, Op::Lt, upper);
        return Some(());
    }
    if let Some(rest) = t.strip_prefix('~') {
        let rest = rest.trim_start_matches('>');
        let (parts, v) = partial(rest)?;
        push(clause, Op::Ge, v);
        let upper = match parts.as_slice() {
            [] => return Some(()),
            [a] => format!("{}.0.0", a + 1),
            [a, b, ..] => format!("{}.{}.0", a, b + 1),
        };
        push(clause, Op::Lt, upper);
        return Some(());
    }
    let (op, rest, _) = split_op(t);
    let (parts, v) = partial(rest)?;
    let full = parts.len() == 3;
    match (op, full) {
        (None | Some(Op::Eq), true) => push(clause, Op::Eq, v),
        (None | Some(Op::Eq), false) => {
            if !parts.is_empty() {
                push(clause, Op::Ge, v);
                push(clause, Op::Lt, next_of(&parts));
            }
        }
        (Some(Op::Lt), _) | (Some(Op::Ge), _) => push(clause, op?, v),
        (Some(Op::Le), true) | (Some(Op::Gt), true) => push(clause, op?, v),
        (Some(Op::Le), false) => push(clause, Op::Lt, next_of(&parts)),
        (Some(Op::Gt), false) => push(clause, Op::Ge, next_of(&parts)),
        (Some(Op::Ne), _) => return None,
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(set: &VersionSet) -> String {
        set.describe()
    }

    #[test]
    fn rubygems() {
        let set = rubygems_set(&["~> 6.1.7, >= 6.1.7.1".into(), ">= 7.0.4.1".into()]).unwrap();
        assert_eq!(show(&set), ">=6.1.7, <6.2, >=6.1.7.1 || >=7.0.4.1");
        assert_eq!(show(&rubygems_set(&["~> 2".into()]).unwrap()), ">=2, <3");
        assert!(rubygems_set(&[">= ".into()]).is_err());
        assert!(rubygems_set(&["~> beta".into()]).is_err());
    }

    #[test]
    fn composer() {
        let c = composer_clause(&[">=2.0.0".into(), "<2.4.8".into()]).unwrap();
        assert_eq!(show(&VersionSet { clauses: vec![c] }), ">=2.0.0, <2.4.8");
        assert!(composer_clause(&[]).is_err());
        assert!(composer_clause(&["<1.0|>2.0".into()]).is_err());
    }

    #[test]
    fn node() {
        let cases = [
            ("<4.2.2", "<4.2.2"),
            (">=1.0.0 <1.2.3 || >= 2.0.0", ">=1.0.0, <1.2.3 || >=2.0.0"),
            (
                "^8.1.4 || ^0.2.3 || ^0.0.3",
                ">=8.1.4, <9.0.0 || >=0.2.3, <0.3.0 || >=0.0.3, <0.0.4",
            ),
            ("8.x || 7.1", ">=8.0.0, <9.0.0 || >=7.1.0, <7.2.0"),
            ("~1.2.3", ">=1.2.3, <1.3.0"),
            ("*", "*"),
            ("1.2.3 - 1.4", ">=1.2.3, <1.5.0"),
            ("<=1.2", "<1.3.0"),
            ("1.0.0-beta.2", "=1.0.0-beta.2"),
        ];
        for (input, want) in cases {
            assert_eq!(show(&node_semver(input).unwrap()), want, "{input}");
        }
        for bad in [">=", "<a.b", "1.2.3.4", "!=1.0.0"] {
            assert!(node_semver(bad).is_err(), "{bad}");
        }
    }
}
