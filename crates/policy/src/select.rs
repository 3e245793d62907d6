//! Which rule of a policy applies to an image: the first enabled rule, top to bottom, whose
//! collections select it. The vulnerability and the compliance policy both pick their rule this
//! way, so the choice lives below both, beside nothing else.

use crate::collection::Collection;
use crate::rule::{Policy, PolicyRule};
use crate::scope::{ImageScope, Subject, any_matches};

/// The first enabled rule, top to bottom, whose collections select the image.
pub fn select_rule<'p>(
    policy: &'p Policy,
    catalogue: &[Collection],
    image: &ImageScope,
) -> Option<&'p PolicyRule> {
    let subject = Subject::new(image);
    policy
        .rules
        .iter()
        .find(|r| !r.disabled && any_matches(&r.collections, catalogue, &subject))
}
