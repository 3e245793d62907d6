//! The catalogue of image compliance checks: ids, Prisma severity words, titles and
//! descriptions. Both the compliance policy (which checks a rule enables) and the checks
//! themselves refer to it, so it sits below both.
//!
//! Check ids: where Prisma has a check for the same thing its id is used (41 non-root user, 404
//! HEALTHCHECK, 424 secrets in environment variables, 425 private keys). Checks Prisma has no
//! image check for use Crowsnest's own range, [`CROWSNEST_CHECK_BASE`] + n (90001…), far from
//! Prisma's ranges (CIS and labs checks below 1000, custom checks from 9000).

/// First id of the checks that are Crowsnest's own.
pub const CROWSNEST_CHECK_BASE: i64 = 90_000;

pub const CHECK_NON_ROOT: i64 = 41;
pub const CHECK_HEALTHCHECK: i64 = 404;
pub const CHECK_ENV_SECRETS: i64 = 424;
pub const CHECK_PRIVATE_KEYS: i64 = 425;
pub const CHECK_CLOUD_CREDENTIALS: i64 = CROWSNEST_CHECK_BASE + 1;
pub const CHECK_SETUID: i64 = CROWSNEST_CHECK_BASE + 2;
pub const CHECK_SSHD: i64 = CROWSNEST_CHECK_BASE + 3;
pub const CHECK_IMAGE_AGE: i64 = CROWSNEST_CHECK_BASE + 4;

/// One compliance check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check {
    pub id: i64,
    /// Prisma's severity word.
    pub severity: &'static str,
    pub title: &'static str,
    pub description: &'static str,
}

/// Every check Crowsnest runs on an image, in id order.
pub const CHECKS: &[Check] = &[
    Check {
        id: CHECK_NON_ROOT,
        severity: "high",
        title: "(CIS_Docker_v1.5.0 - 4.1) Image should be created with a non-root user",
        description: "The image runs its processes as root because its config names no user, or \
                      names root or uid 0. Create an unprivileged user in the image and switch to \
                      it with USER, so a compromised process holds no root rights in the container.",
    },
    Check {
        id: CHECK_HEALTHCHECK,
        severity: "medium",
        title: "(CIS_Docker_v1.5.0 - 4.6) Add HEALTHCHECK instruction to the container image",
        description: "The image config has no HEALTHCHECK, so the engine cannot tell a hung \
                      container from a working one and will not replace it.",
    },
    Check {
        id: CHECK_ENV_SECRETS,
        severity: "high",
        title: "Sensitive information provided in environment variables",
        description: "Environment variables set in the image (ENV) look like passwords, tokens, \
                      access keys or private keys. Anyone who can pull or inspect the image can \
                      read them; pass secrets at run time from a secret store instead.",
    },
    Check {
        id: CHECK_PRIVATE_KEYS,
        severity: "high",
        title: "Private keys stored in image",
        description: "Files in the image contain private keys. Every copy of the image carries \
                      them; remove them and mount keys at run time.",
    },
    Check {
        id: CHECK_CLOUD_CREDENTIALS,
        severity: "high",
        title: "(Crowsnest) Cloud provider credentials stored in image",
        description: "Files in the image hold cloud or registry credentials (AWS credentials, \
                      service-account keys, docker or kube configs with secrets). Remove them and \
                      use the platform's workload identity or mounted secrets.",
    },
    Check {
        id: CHECK_SETUID,
        severity: "medium",
        title: "(CIS_Docker_v1.5.0 - 4.8) Image contains setuid or setgid files",
        description: "Executables with the setuid or setgid bit let any user in the container \
                      gain their owner's or group's rights. Remove the bits from files that do not \
                      need them (find / -perm /6000 -type f -exec chmod a-s {} +).",
    },
    Check {
        id: CHECK_SSHD,
        severity: "high",
        title: "(Crowsnest) SSH server installed in image",
        description: "The image contains an SSH daemon. Containers are reached with the engine's \
                      exec; an SSH server adds a listening service and keys to manage.",
    },
    Check {
        id: CHECK_IMAGE_AGE,
        severity: "low",
        title: "(Crowsnest) Image is older than the allowed age",
        description: "The image was built longer ago than the allowed number of days, so it likely \
                      misses fixes published since. Rebuild it on a current base image.",
    },
];

/// Looks a check up by id.
pub fn check(id: i64) -> Option<&'static Check> {
    CHECKS.iter().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_sorted() {
        let ids: Vec<i64> = CHECKS.iter().map(|c| c.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted);
    }
}
