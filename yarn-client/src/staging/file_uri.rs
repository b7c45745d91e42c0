//! A file-system URI split into the parts YARN's `URLProto` carries:
//! `scheme://[user_info@]host[:port]/absolute/path`, e.g. `hdfs://nn:8020/user/alice`,
//! `hdfs://nameservice1/user/alice` (HA: no port), `file:///tmp/staging`.
//!
//! Paths are kept as written (no percent-decoding); `%`, `?` and `#` are refused so that a URI
//! always means one path. Hadoop's single-slash form `file:/tmp/x` is accepted.

use std::fmt;

use crate::error::YarnError;
use crate::proto::yarn_records::URLProto;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FileUri {
    /// Lower-case scheme: `hdfs`, `viewfs`, `file`, ...
    pub scheme: String,
    pub user_info: Option<String>,
    /// `None` for `file:///...`.
    pub host: Option<String>,
    pub port: Option<u16>,
    /// Absolute, without a trailing `/` (except the root itself).
    pub path: String,
}

impl FileUri {
    /// Parses a fully qualified URI (`scheme://authority/path` or `scheme:/path`).
    pub fn parse(text: &str) -> Result<FileUri, YarnError> {
        let invalid = |detail: &str| YarnError::StagingUri {
            uri: text.to_string(),
            detail: detail.to_string(),
        };
        let (scheme, rest) = text
            .split_once(':')
            .filter(|(scheme, _)| is_scheme(scheme))
            .ok_or_else(|| {
                invalid("no scheme; write e.g. hdfs://namenode:8020/path or file:///path")
            })?;
        if text.contains(['%', '?', '#']) {
            return Err(invalid(
                "'%', '?' and '#' are not supported in staging URIs",
            ));
        }
        let (authority, path) = match rest.strip_prefix("//") {
            Some(after) => match after.find('/') {
                Some(slash) => (&after[..slash], &after[slash..]),
                None => (after, "/"),
            },
            None => ("", rest),
        };
        if !path.starts_with('/') {
            return Err(invalid("the path must be absolute"));
        }
        let (user_info, host_port) = match authority.rsplit_once('@') {
            Some((user, host_port)) => (Some(user.to_string()), host_port),
            None => (None, authority),
        };
        let (host, port) =
            split_host_port(host_port).ok_or_else(|| invalid("malformed host:port"))?;
        Ok(FileUri {
            scheme: scheme.to_ascii_lowercase(),
            user_info,
            host,
            port,
            path: normalize_path(path),
        })
    }

    /// Like [`FileUri::parse`], but a path without a scheme (`/tmp/staging`) is taken to be on
    /// `default_fs` (`fs.defaultFS`), as Hadoop qualifies paths.
    pub fn qualify(text: &str, default_fs: &str) -> Result<FileUri, YarnError> {
        if text.starts_with('/') {
            let base = FileUri::parse(default_fs)?;
            return Ok(FileUri {
                path: normalize_path(text),
                ..base
            });
        }
        FileUri::parse(text)
    }

    /// `self` with `relative` (`/`-separated, no leading `/`) appended to the path.
    pub fn join(&self, relative: &str) -> FileUri {
        let relative = relative.trim_matches('/');
        let path = if relative.is_empty() {
            self.path.clone()
        } else if self.path == "/" {
            format!("/{relative}")
        } else {
            format!("{}/{relative}", self.path)
        };
        FileUri {
            path,
            ..self.clone()
        }
    }

    /// The parent directory (`None` for the root).
    pub fn parent(&self) -> Option<FileUri> {
        if self.path == "/" {
            return None;
        }
        let cut = self.path.rfind('/').unwrap_or(0);
        let path = if cut == 0 {
            "/".to_string()
        } else {
            self.path[..cut].to_string()
        };
        Some(FileUri {
            path,
            ..self.clone()
        })
    }

    /// The last path segment (empty for the root).
    pub fn file_name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or("")
    }

    /// `[user_info@]host[:port]`, empty for `file:///`.
    pub fn authority(&self) -> String {
        let mut authority = String::new();
        if let Some(user) = &self.user_info {
            authority.push_str(user);
            authority.push('@');
        }
        if let Some(host) = &self.host {
            authority.push_str(host);
        }
        if let Some(port) = self.port {
            authority.push_str(&format!(":{port}"));
        }
        authority
    }

    /// The same file system without the path: `scheme://authority`.
    pub fn file_system_root(&self) -> String {
        format!("{}://{}", self.scheme, self.authority())
    }

    /// The `URLProto` of a `LocalResourceProto`: port -1 when the URI has none (an absent
    /// field would read as port 0), host and user info only when present, as Hadoop's
    /// `URL.fromURI` builds it.
    pub fn to_url_proto(&self) -> URLProto {
        URLProto {
            scheme: Some(self.scheme.clone()),
            host: self.host.clone(),
            port: Some(self.port.map_or(-1, i32::from)),
            file: Some(self.path.clone()),
            user_info: self.user_info.clone(),
        }
    }
}

impl fmt::Display for FileUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}{}", self.scheme, self.authority(), self.path)
    }
}

/// RFC 3986: a letter, then letters, digits, `+`, `-`, `.`.
fn is_scheme(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// `host`, `host:port`, `[v6]`, `[v6]:port`, or empty.
fn split_host_port(text: &str) -> Option<(Option<String>, Option<u16>)> {
    if text.is_empty() {
        return Some((None, None));
    }
    let (host, port) = if text.starts_with('[') {
        let close = text.find(']')?;
        let port = &text[close + 1..];
        match port {
            "" => (&text[..=close], None),
            _ => (&text[..=close], Some(port.strip_prefix(':')?)),
        }
    } else {
        match text.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        }
    };
    if host.is_empty() {
        return None;
    }
    let port = match port {
        None => None,
        Some(port) => Some(port.parse::<u16>().ok()?),
    };
    Some((Some(host.to_string()), port))
}

/// Collapses repeated slashes and drops a trailing one.
fn normalize_path(path: &str) -> String {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    format!("/{}", segments.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hdfs_and_file_uris() {
        let uri = FileUri::parse("hdfs://nn.example:8020/user/alice/").unwrap();
        assert_eq!(uri.scheme, "hdfs");
        assert_eq!(uri.host.as_deref(), Some("nn.example"));
        assert_eq!(uri.port, Some(8020));
        assert_eq!(uri.path, "/user/alice");
        assert_eq!(uri.to_string(), "hdfs://nn.example:8020/user/alice");

        let ha = FileUri::parse("hdfs://nameservice1/user//alice").unwrap();
        assert_eq!(ha.port, None);
        assert_eq!(ha.path, "/user/alice");
        let url = ha.to_url_proto();
        assert_eq!(url.port, Some(-1));
        assert_eq!(url.host.as_deref(), Some("nameservice1"));
        assert_eq!(url.file.as_deref(), Some("/user/alice"));

        let file = FileUri::parse("file:///tmp/staging").unwrap();
        assert_eq!(file.host, None);
        assert_eq!(file.to_string(), "file:///tmp/staging");
        let url = file.to_url_proto();
        assert_eq!(
            (url.scheme.as_deref(), url.host, url.port),
            (Some("file"), None, Some(-1))
        );
        assert_eq!(
            FileUri::parse("file:/tmp/x").unwrap(),
            FileUri::parse("file:///tmp/x").unwrap()
        );

        let user = FileUri::parse("HDFS://bob@[::1]:9000").unwrap();
        assert_eq!(user.scheme, "hdfs");
        assert_eq!(user.user_info.as_deref(), Some("bob"));
        assert_eq!(user.host.as_deref(), Some("[::1]"));
        assert_eq!(user.port, Some(9000));
        assert_eq!(user.path, "/");
        assert_eq!(user.file_system_root(), "hdfs://bob@[::1]:9000");
    }

    #[test]
    fn rejects_what_it_cannot_represent() {
        for text in [
            "/tmp/x",
            "tmp/x",
            "hdfs://nn:port/x",
            "hdfs://nn:8020x",
            "file:tmp",
            "a%20b:/x",
            "hdfs://nn/a%20b",
            "hdfs://:8020/x",
            "1hdfs://nn/x",
        ] {
            assert!(
                matches!(FileUri::parse(text), Err(YarnError::StagingUri { .. })),
                "{text}"
            );
        }
    }

    #[test]
    fn qualifies_against_the_default_fs() {
        let uri = FileUri::qualify("/tmp/staging", "hdfs://nn:8020").unwrap();
        assert_eq!(uri.to_string(), "hdfs://nn:8020/tmp/staging");
        let uri = FileUri::qualify("/tmp/staging", "file:///").unwrap();
        assert_eq!(uri.to_string(), "file:///tmp/staging");
        let uri = FileUri::qualify("hdfs://other/x", "file:///").unwrap();
        assert_eq!(uri.to_string(), "hdfs://other/x");
    }

    #[test]
    fn join_parent_and_file_name() {
        let root = FileUri::parse("hdfs://nn/").unwrap();
        let file = root.join(".weir").join("bin/weir-abc");
        assert_eq!(file.to_string(), "hdfs://nn/.weir/bin/weir-abc");
        assert_eq!(file.file_name(), "weir-abc");
        assert_eq!(file.parent().unwrap().to_string(), "hdfs://nn/.weir/bin");
        assert_eq!(root.join("x").parent().unwrap(), root);
        assert_eq!(root.parent(), None);
    }
}
