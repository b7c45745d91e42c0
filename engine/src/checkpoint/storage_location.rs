//! [`resolve_storage_location`]: where checkpoints and savepoints go, from the text a user
//! gave (`state.checkpoints.dir`, `state.savepoints.dir`, `weir run -s`).
//!
//! ```text
//!   /data/ckpt                  ──▶ /data/ckpt          a plain path (relative paths too)
//!   file:///data/ckpt           ──▶ /data/ckpt          a file URI (Flink's usual spelling)
//!   file:/data/ckpt             ──▶ /data/ckpt          Hadoop's short file URI
//!   file://localhost/data/ckpt  ──▶ /data/ckpt          the local host named explicitly
//!   hdfs://nn:8020/ckpt         ──▶ error               other schemes: not supported so far
//!   file://otherhost/ckpt       ──▶ error               a remote host in a file URI
//! ```

use std::path::PathBuf;

use crate::error::WeirError;

/// The local folder `location` names. `setting` is the key or argument that gave it, for the
/// error when `location` uses a scheme other than `file://`.
pub fn resolve_storage_location(
    location: &str,
    setting: &'static str,
) -> Result<PathBuf, WeirError> {
    let unsupported = || WeirError::UnsupportedCheckpointLocation {
        setting,
        location: location.to_owned(),
    };
    let trimmed = location.trim();
    if trimmed.is_empty() {
        return Err(unsupported());
    }
    let Some(scheme_end) = scheme_end(trimmed) else {
        return Ok(PathBuf::from(trimmed));
    };
    let scheme = &trimmed[..scheme_end];
    if !scheme.eq_ignore_ascii_case("file") {
        return Err(unsupported());
    }
    let rest = &trimmed[scheme_end + 1..];
    let path = match rest.strip_prefix("//") {
        // file://<authority>/<path>: only an empty authority or localhost is this machine.
        Some(authority_and_path) => {
            let slash = authority_and_path
                .find('/')
                .unwrap_or(authority_and_path.len());
            let authority = &authority_and_path[..slash];
            if !(authority.is_empty() || authority.eq_ignore_ascii_case("localhost")) {
                return Err(unsupported());
            }
            &authority_and_path[slash..]
        }
        None => rest,
    };
    if path.is_empty() {
        return Err(unsupported());
    }
    Ok(PathBuf::from(path))
}

/// The length of a URI scheme at the start of `text` (RFC 3986: a letter, then letters, digits,
/// `+`, `-`, `.`), when a `:` follows it and the text is not a plain path.
fn scheme_end(text: &str) -> Option<usize> {
    let colon = text.find(':')?;
    let scheme = &text[..colon];
    let mut chars = scheme.chars();
    let first = chars.next()?;
    let valid = first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    // A one-letter "scheme" followed by a path is a Windows drive, never a URI we write.
    (valid && scheme.len() > 1).then_some(colon)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "state.checkpoints.dir";

    #[test]
    fn plain_paths_and_file_uris_name_local_folders() {
        for (location, expected) in [
            ("/data/ckpt", "/data/ckpt"),
            ("relative/ckpt", "relative/ckpt"),
            ("file:///data/ckpt", "/data/ckpt"),
            ("FILE:///data/ckpt", "/data/ckpt"),
            ("file:/data/ckpt", "/data/ckpt"),
            ("file://localhost/data/ckpt", "/data/ckpt"),
            ("  /data/with space  ", "/data/with space"),
        ] {
            assert_eq!(
                resolve_storage_location(location, KEY).unwrap(),
                PathBuf::from(expected),
                "{location}"
            );
        }
    }

    #[test]
    fn other_schemes_name_the_setting_and_the_supported_form() {
        for location in [
            "hdfs://namenode:8020/ckpt",
            "s3://bucket/ckpt",
            "file://otherhost/ckpt",
            "file://",
            "",
        ] {
            let error = resolve_storage_location(location, KEY).unwrap_err();
            let message = error.to_string();
            assert!(message.contains(KEY), "{message}");
            assert!(message.contains("only file://"), "{message}");
        }
    }
}
