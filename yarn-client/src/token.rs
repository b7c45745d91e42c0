//! Hadoop tokens and the credentials ("token storage") file.
//!
//! A [`Token`] is Hadoop's `Token<T>`: an opaque identifier (a protobuf message the issuer can
//! decode), the password the issuer derived from it with its secret key, a kind and a service.
//! The AM finds its AMRMToken in the file named by `HADOOP_TOKEN_FILE_LOCATION`; the client
//! writes the same format when it passes tokens to the AM's container.
//!
//! ```text
//! credentials file:
//!   "HDTS" | format byte
//!   format 0 (Writable, what NodeManagers write and what we write):
//!     vint n_tokens,  n_tokens × ( Text alias | vint id_len, id | vint pw_len, pw | Text kind | Text service )
//!     vint n_secrets, n_secrets × ( Text alias | vint len, bytes )
//!   format 1 (protobuf, read only):
//!     varint length | CredentialsProto
//!   Text = vint length | UTF-8 bytes
//! ```
//!
//! `vint` is Hadoop's `WritableUtils` zero-compressed long (see [`writable`]). Like Hadoop's
//! `Credentials`, aliases are map keys: a later entry with the same alias replaces an earlier
//! one. Passwords and secrets never appear in `Debug` output.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use prost::Message;

use crate::YarnError;
use crate::proto::hadoop_common::{CredentialsKvProto, CredentialsProto, TokenProto};

/// Kind of the token an AM uses for the RM scheduler port.
pub const AMRM_TOKEN_KIND: &str = "YARN_AM_RM_TOKEN";
/// Kind of the token an AM uses for one NodeManager.
pub const NM_TOKEN_KIND: &str = "NMToken";
/// Kind of the token that authorises starting one container.
pub const CONTAINER_TOKEN_KIND: &str = "ContainerToken";

/// The four magic bytes of a credentials file.
pub const TOKEN_STORAGE_MAGIC: [u8; 4] = *b"HDTS";
/// Format byte of the Writable layout.
pub const FORMAT_WRITABLE: u8 = 0;
/// Format byte of the protobuf layout.
pub const FORMAT_PROTOBUF: u8 = 1;

/// A Hadoop security token.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    /// The issuer's identifier message, encoded.
    pub identifier: Vec<u8>,
    /// The password: an HMAC of the identifier under the issuer's secret key.
    pub password: Vec<u8>,
    /// e.g. [`AMRM_TOKEN_KIND`].
    pub kind: String,
    /// `host:port` the token is for, or empty.
    pub service: String,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("kind", &self.kind)
            .field("service", &self.service)
            .field("identifier_bytes", &self.identifier.len())
            .field(
                "password",
                &format_args!("<{} bytes hidden>", self.password.len()),
            )
            .finish()
    }
}

impl Token {
    /// The protobuf form used inside YARN messages.
    pub fn to_proto(&self) -> TokenProto {
        TokenProto {
            identifier: self.identifier.clone(),
            password: self.password.clone(),
            kind: self.kind.clone(),
            service: self.service.clone(),
        }
    }

    /// A token from its protobuf form.
    pub fn from_proto(proto: &TokenProto) -> Token {
        Token {
            identifier: proto.identifier.clone(),
            password: proto.password.clone(),
            kind: proto.kind.clone(),
            service: proto.service.clone(),
        }
    }
}

/// Hadoop's `Credentials`: tokens and secret keys by alias, in insertion order.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// (alias, token); aliases are unique.
    pub tokens: Vec<(String, Token)>,
    /// (alias, secret key bytes); aliases are unique.
    pub secrets: Vec<(String, Vec<u8>)>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret_aliases: Vec<&str> = self.secrets.iter().map(|(a, _)| a.as_str()).collect();
        f.debug_struct("Credentials")
            .field("tokens", &self.tokens)
            .field("secret_aliases", &secret_aliases)
            .finish()
    }
}

impl Credentials {
    /// Empty credentials.
    pub fn new() -> Credentials {
        Credentials::default()
    }

    /// Reads a credentials file in format 0 or 1. Errors name the file.
    pub fn read_file(path: &Path) -> Result<Credentials, YarnError> {
        let bytes = std::fs::read(path).map_err(|source| YarnError::CredentialsIo {
            path: path.to_path_buf(),
            source,
        })?;
        parse(&bytes).map_err(|detail| YarnError::Credentials {
            path: Some(path.to_path_buf()),
            detail,
        })
    }

    /// Writes the credentials in format 0 atomically: a temporary file in the same directory
    /// (mode 0600), flushed to disk, then renamed over `path`.
    pub fn write_file(&self, path: &Path) -> Result<(), YarnError> {
        let bytes = self.to_bytes();
        let io_error = |source| YarnError::CredentialsIo {
            path: path.to_path_buf(),
            source,
        };
        let temp_path = temporary_sibling(path).map_err(io_error)?;
        let result =
            write_and_sync(&temp_path, &bytes).and_then(|()| std::fs::rename(&temp_path, path));
        if let Err(source) = result {
            let _ = std::fs::remove_file(&temp_path);
            return Err(io_error(source));
        }
        Ok(())
    }

    /// Parses credentials from bytes in format 0 (Writable) or 1 (protobuf).
    pub fn from_bytes(bytes: &[u8]) -> Result<Credentials, YarnError> {
        parse(bytes).map_err(|detail| YarnError::Credentials { path: None, detail })
    }

    /// The format-0 (Writable) encoding, magic and format byte included.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(&TOKEN_STORAGE_MAGIC);
        out.push(FORMAT_WRITABLE);
        writable::write_vint(&mut out, self.tokens.len() as i64);
        for (alias, token) in &self.tokens {
            writable::write_text(&mut out, alias);
            writable::write_bytes(&mut out, &token.identifier);
            writable::write_bytes(&mut out, &token.password);
            writable::write_text(&mut out, &token.kind);
            writable::write_text(&mut out, &token.service);
        }
        writable::write_vint(&mut out, self.secrets.len() as i64);
        for (alias, secret) in &self.secrets {
            writable::write_text(&mut out, alias);
            writable::write_bytes(&mut out, secret);
        }
        out
    }

    /// The first token of `kind`, if any.
    pub fn token_of_kind(&self, kind: &str) -> Option<&Token> {
        self.tokens
            .iter()
            .map(|(_, token)| token)
            .find(|token| token.kind == kind)
    }

    /// Adds a token under `alias`, replacing a token with the same alias.
    pub fn add_token(&mut self, alias: impl Into<String>, token: Token) {
        let alias = alias.into();
        match self.tokens.iter_mut().find(|(a, _)| *a == alias) {
            Some(entry) => entry.1 = token,
            None => self.tokens.push((alias, token)),
        }
    }

    /// Adds a secret key under `alias`, replacing a secret with the same alias.
    pub fn add_secret(&mut self, alias: impl Into<String>, secret: Vec<u8>) {
        let alias = alias.into();
        match self.secrets.iter_mut().find(|(a, _)| *a == alias) {
            Some(entry) => entry.1 = secret,
            None => self.secrets.push((alias, secret)),
        }
    }
}

fn parse(bytes: &[u8]) -> Result<Credentials, String> {
    if bytes.len() < 5 {
        return Err(format!(
            "{} bytes is too short for the 5-byte header (\"HDTS\" + format)",
            bytes.len()
        ));
    }
    if bytes[..4] != TOKEN_STORAGE_MAGIC {
        return Err(format!(
            "bad header {:02x?}: not a Hadoop token storage file (expected \"HDTS\")",
            &bytes[..4]
        ));
    }
    let body = &bytes[5..];
    match bytes[4] {
        FORMAT_WRITABLE => parse_writable(body),
        FORMAT_PROTOBUF => parse_protobuf(body),
        other => Err(format!(
            "unknown format {other} (Hadoop writes 0 = Writable or 1 = protobuf)"
        )),
    }
}

fn parse_writable(body: &[u8]) -> Result<Credentials, String> {
    let mut reader = writable::Reader::new(body);
    let mut credentials = Credentials::new();
    let token_count = reader.read_count("number of tokens")?;
    for index in 0..token_count {
        let alias = reader.read_text(&format!("alias of token {index}"))?;
        let identifier = reader.read_bytes(&format!("identifier of token '{alias}'"))?;
        let password = reader.read_bytes(&format!("password of token '{alias}'"))?;
        let kind = reader.read_text(&format!("kind of token '{alias}'"))?;
        let service = reader.read_text(&format!("service of token '{alias}'"))?;
        credentials.add_token(
            alias,
            Token {
                identifier,
                password,
                kind,
                service,
            },
        );
    }
    let secret_count = reader.read_count("number of secret keys")?;
    for index in 0..secret_count {
        let alias = reader.read_text(&format!("alias of secret key {index}"))?;
        let secret = reader.read_bytes(&format!("secret key '{alias}'"))?;
        credentials.add_secret(alias, secret);
    }
    if !reader.is_at_end() {
        return Err(format!(
            "{} unexpected bytes after the secret keys (offset {})",
            reader.remaining(),
            reader.offset() + 5
        ));
    }
    Ok(credentials)
}

fn parse_protobuf(body: &[u8]) -> Result<Credentials, String> {
    let proto = CredentialsProto::decode_length_delimited(body)
        .map_err(|e| format!("format 1 body is not a delimited CredentialsProto: {e}"))?;
    let mut credentials = Credentials::new();
    for CredentialsKvProto { alias, token, .. } in &proto.tokens {
        let token = token
            .as_ref()
            .ok_or_else(|| format!("token entry '{alias}' has no token"))?;
        credentials.add_token(alias.clone(), Token::from_proto(token));
    }
    for CredentialsKvProto { alias, secret, .. } in &proto.secrets {
        let secret = secret
            .as_ref()
            .ok_or_else(|| format!("secret entry '{alias}' has no secret"))?;
        credentials.add_secret(alias.clone(), secret.clone());
    }
    Ok(credentials)
}

fn temporary_sibling(path: &Path) -> std::io::Result<PathBuf> {
    let file_name = path.file_name().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "path has no file name")
    })?;
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).map_err(|e| std::io::Error::other(e.to_string()))?;
    let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(file_name);
    temp_name.push(format!(".{suffix}.tmp"));
    Ok(path.with_file_name(temp_name))
}

fn write_and_sync(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Hadoop's `Writable` primitives: `WritableUtils` vint/vlong and `Text`.
///
/// ```text
/// value in [-112, 127]      → 1 byte, the value itself
/// otherwise                 → first byte, then the magnitude big-endian in 1..=8 bytes
///   first byte -113 … -120  → positive, 1 … 8 magnitude bytes
///   first byte -121 … -128  → negative, 1 … 8 bytes of the one's complement (!value)
/// e.g. 128 = 8f 80, -113 = 87 70, 256 = 8e 01 00, -1 = ff
/// ```
pub mod writable {
    /// Appends `value` as a Hadoop vlong (vints use the same encoding).
    pub fn write_vint(out: &mut Vec<u8>, value: i64) {
        if (-112..=127).contains(&value) {
            out.push(value as i8 as u8);
            return;
        }
        let (magnitude, base) = if value < 0 {
            (!value, -120i64)
        } else {
            (value, -112i64)
        };
        let byte_count = 8 - (magnitude.leading_zeros() as i64 / 8);
        out.push((base - byte_count) as i8 as u8);
        for index in (0..byte_count).rev() {
            out.push((magnitude >> (index * 8)) as u8);
        }
    }

    /// Appends a vint length and the bytes.
    pub fn write_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
        write_vint(out, bytes.len() as i64);
        out.extend_from_slice(bytes);
    }

    /// Appends a `Text`: vint length and UTF-8 bytes.
    pub fn write_text(out: &mut Vec<u8>, text: &str) {
        write_bytes(out, text.as_bytes());
    }

    /// A cursor over Writable data; every error names what was being read and the offset.
    #[derive(Debug)]
    pub struct Reader<'a> {
        bytes: &'a [u8],
        offset: usize,
    }

    impl<'a> Reader<'a> {
        /// A reader at the start of `bytes`.
        pub fn new(bytes: &'a [u8]) -> Reader<'a> {
            Reader { bytes, offset: 0 }
        }

        /// Bytes consumed so far.
        pub fn offset(&self) -> usize {
            self.offset
        }

        /// Bytes not yet consumed.
        pub fn remaining(&self) -> usize {
            self.bytes.len() - self.offset
        }

        /// Whether everything has been consumed.
        pub fn is_at_end(&self) -> bool {
            self.remaining() == 0
        }

        fn byte(&mut self, what: &str) -> Result<u8, String> {
            let byte = *self.bytes.get(self.offset).ok_or_else(|| {
                format!(
                    "truncated: ends at offset {} inside the {what}",
                    self.offset
                )
            })?;
            self.offset += 1;
            Ok(byte)
        }

        /// Reads a vlong.
        pub fn read_vlong(&mut self, what: &str) -> Result<i64, String> {
            let first = self.byte(what)? as i8;
            if first >= -112 {
                return Ok(i64::from(first));
            }
            let (negative, byte_count) = if first < -120 {
                (true, -120 - i32::from(first))
            } else {
                (false, -112 - i32::from(first))
            };
            let mut magnitude: i64 = 0;
            for _ in 0..byte_count {
                magnitude = (magnitude << 8) | i64::from(self.byte(what)?);
            }
            Ok(if negative { !magnitude } else { magnitude })
        }

        /// Reads a vint: a vlong that must fit in 32 bits.
        pub fn read_vint(&mut self, what: &str) -> Result<i32, String> {
            let start = self.offset;
            let value = self.read_vlong(what)?;
            i32::try_from(value).map_err(|_| {
                format!("the {what} at offset {start} ({value}) does not fit in 32 bits")
            })
        }

        /// Reads a non-negative vint count or length.
        pub fn read_count(&mut self, what: &str) -> Result<usize, String> {
            let start = self.offset;
            let value = self.read_vint(what)?;
            usize::try_from(value)
                .map_err(|_| format!("the {what} at offset {start} is negative ({value})"))
        }

        /// Reads a vint length and that many bytes.
        pub fn read_bytes(&mut self, what: &str) -> Result<Vec<u8>, String> {
            let length = self.read_count(&format!("length of the {what}"))?;
            if length > self.remaining() {
                return Err(format!(
                    "truncated: the {what} at offset {} claims {length} bytes but only {} remain",
                    self.offset,
                    self.remaining()
                ));
            }
            let bytes = self.bytes[self.offset..self.offset + length].to_vec();
            self.offset += length;
            Ok(bytes)
        }

        /// Reads a `Text`.
        pub fn read_text(&mut self, what: &str) -> Result<String, String> {
            let start = self.offset;
            let bytes = self.read_bytes(what)?;
            String::from_utf8(bytes)
                .map_err(|e| format!("the {what} at offset {start} is not UTF-8: {e}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::writable::{Reader, write_vint};
    use super::*;

    fn vint_bytes(value: i64) -> Vec<u8> {
        let mut out = Vec::new();
        write_vint(&mut out, value);
        out
    }

    #[test]
    fn vint_matches_hadoop_writable_utils() {
        // Values worked out by hand from WritableUtils.writeVLong.
        let cases: &[(i64, &[u8])] = &[
            (0, &[0x00]),
            (1, &[0x01]),
            (127, &[0x7f]),
            (-1, &[0xff]),
            (-112, &[0x90]),
            (128, &[0x8f, 0x80]),
            (255, &[0x8f, 0xff]),
            (256, &[0x8e, 0x01, 0x00]),
            (-113, &[0x87, 0x70]),
            (-256, &[0x87, 0xff]),
            (-257, &[0x86, 0x01, 0x00]),
            (i32::MAX as i64, &[0x8c, 0x7f, 0xff, 0xff, 0xff]),
            (
                i64::MAX,
                &[0x88, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            ),
            (
                i64::MIN,
                &[0x80, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            ),
        ];
        for &(value, bytes) in cases {
            assert_eq!(vint_bytes(value), bytes, "encoding {value}");
            let mut reader = Reader::new(bytes);
            assert_eq!(
                reader.read_vlong("value").unwrap(),
                value,
                "decoding {bytes:02x?}"
            );
            assert!(reader.is_at_end());
        }
    }

    proptest::proptest! {
        #[test]
        fn vint_round_trips(value: i64) {
            let bytes = vint_bytes(value);
            let mut reader = Reader::new(&bytes);
            proptest::prop_assert_eq!(reader.read_vlong("value").unwrap(), value);
            proptest::prop_assert!(reader.is_at_end());
        }
    }

    #[test]
    fn vint_errors_are_descriptive() {
        let mut reader = Reader::new(&[0x8e, 0x01]);
        let err = reader.read_vlong("number of tokens").unwrap_err();
        assert!(
            err.contains("truncated") && err.contains("number of tokens"),
            "{err}"
        );
        let mut reader = Reader::new(&[0x8b, 0x01, 0x00, 0x00, 0x00, 0x00]);
        let err = reader.read_vint("length").unwrap_err();
        assert!(err.contains("does not fit in 32 bits"), "{err}");
        let mut reader = Reader::new(&[0xff]);
        let err = reader.read_count("number of tokens").unwrap_err();
        assert!(err.contains("negative (-1)"), "{err}");
    }

    /// A file as a NodeManager writes it: one AMRMToken with an empty alias and service.
    fn hand_built_writable_file() -> Vec<u8> {
        let mut bytes = b"HDTS\x00".to_vec();
        bytes.push(0x01); // one token
        bytes.push(0x00); // alias ""
        bytes.extend_from_slice(&[0x03, 0x0a, 0x0b, 0x0c]); // identifier
        bytes.extend_from_slice(&[0x02, 0x70, 0x77]); // password
        bytes.push(0x10); // kind, 16 bytes
        bytes.extend_from_slice(b"YARN_AM_RM_TOKEN");
        bytes.push(0x00); // service ""
        bytes.push(0x01); // one secret
        bytes.extend_from_slice(&[0x01, b'k', 0x02, 0x05, 0x06]);
        bytes
    }

    #[test]
    fn reads_hand_built_format_0() {
        let credentials = Credentials::from_bytes(&hand_built_writable_file()).unwrap();
        let token = credentials.token_of_kind(AMRM_TOKEN_KIND).unwrap();
        assert_eq!(token.identifier, [0x0a, 0x0b, 0x0c]);
        assert_eq!(token.password, b"pw");
        assert_eq!(token.service, "");
        assert_eq!(credentials.tokens[0].0, "");
        assert_eq!(credentials.secrets, vec![("k".to_string(), vec![5, 6])]);
        assert!(credentials.token_of_kind(NM_TOKEN_KIND).is_none());
        // And we write exactly the same bytes back.
        assert_eq!(credentials.to_bytes(), hand_built_writable_file());
    }

    #[test]
    fn multi_byte_lengths_round_trip() {
        let mut credentials = Credentials::new();
        credentials.add_token(
            "a".repeat(200),
            Token {
                identifier: vec![7; 300],
                password: vec![9; 20],
                kind: NM_TOKEN_KIND.into(),
                service: "host:45454".into(),
            },
        );
        let bytes = credentials.to_bytes();
        // Alias length 200 → 8f c8.
        assert_eq!(&bytes[5..8], &[0x01, 0x8f, 0xc8]);
        assert_eq!(Credentials::from_bytes(&bytes).unwrap(), credentials);
    }

    #[test]
    fn reads_format_1() {
        let proto = CredentialsProto {
            tokens: vec![CredentialsKvProto {
                alias: "nm".into(),
                token: Some(TokenProto {
                    identifier: vec![1],
                    password: vec![2],
                    kind: NM_TOKEN_KIND.into(),
                    service: "n1:1".into(),
                }),
                secret: None,
            }],
            secrets: vec![CredentialsKvProto {
                alias: "s".into(),
                token: None,
                secret: Some(vec![3, 4]),
            }],
        };
        let mut bytes = b"HDTS\x01".to_vec();
        bytes.extend_from_slice(&proto.encode_length_delimited_to_vec());
        let credentials = Credentials::from_bytes(&bytes).unwrap();
        assert_eq!(credentials.tokens[0].0, "nm");
        assert_eq!(credentials.tokens[0].1.service, "n1:1");
        assert_eq!(credentials.secrets, vec![("s".to_string(), vec![3, 4])]);
    }

    #[test]
    fn malformed_and_truncated_input_is_rejected_with_reasons() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"HDT".to_vec(), "too short"),
            (b"HDTX\x00\x00\x00".to_vec(), "bad header"),
            (b"HDTS\x07\x00\x00".to_vec(), "unknown format 7"),
            (b"HDTS\x00".to_vec(), "number of tokens"),
            (b"HDTS\x00\xff".to_vec(), "negative"),
            (b"HDTS\x00\x01\x00\x05ab".to_vec(), "identifier of token ''"),
            (b"HDTS\x00\x00\x00\x00".to_vec(), "unexpected bytes"),
            (b"HDTS\x00\x01\x02\xff\xfe".to_vec(), "not UTF-8"),
            (b"HDTS\x01\x05\x0a".to_vec(), "CredentialsProto"),
        ];
        for (bytes, expected) in cases {
            let err = Credentials::from_bytes(&bytes).unwrap_err().to_string();
            assert!(err.contains(expected), "{bytes:02x?}: {err}");
        }
        // Every prefix of a valid file is an error, never a panic.
        let full = hand_built_writable_file();
        for end in 0..full.len() {
            assert!(
                Credentials::from_bytes(&full[..end]).is_err(),
                "prefix {end}"
            );
        }
    }

    #[test]
    fn file_round_trip_is_atomic_and_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("container_tokens");
        let mut credentials = Credentials::new();
        credentials.add_token(
            "",
            Token {
                identifier: vec![1, 2, 3],
                password: vec![4, 5],
                kind: AMRM_TOKEN_KIND.into(),
                service: String::new(),
            },
        );
        credentials.write_file(&path).unwrap();
        assert_eq!(Credentials::read_file(&path).unwrap(), credentials);
        // Overwriting replaces the file and leaves no temporary file behind.
        credentials.add_secret("s", vec![1]);
        credentials.write_file(&path).unwrap();
        assert_eq!(Credentials::read_file(&path).unwrap(), credentials);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("container_tokens")]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }

        std::fs::write(&path, b"HDTS\x00\x03").unwrap();
        let err = Credentials::read_file(&path).unwrap_err().to_string();
        assert!(
            err.contains("container_tokens") && err.contains("truncated"),
            "{err}"
        );
        let missing = dir.path().join("missing");
        let err = Credentials::read_file(&missing).unwrap_err().to_string();
        assert!(err.contains("missing"), "{err}");
        let err = credentials
            .write_file(&dir.path().join("no-such-dir").join("f"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("no-such-dir"), "{err}");
    }

    #[test]
    fn add_token_replaces_by_alias_and_debug_hides_secrets() {
        let token = |password: u8| Token {
            identifier: vec![1],
            password: vec![password],
            kind: "k".into(),
            service: String::new(),
        };
        let mut credentials = Credentials::new();
        credentials.add_token("a", token(1));
        credentials.add_token("a", token(2));
        credentials.add_secret("secret-alias", b"topsecret".to_vec());
        assert_eq!(credentials.tokens.len(), 1);
        assert_eq!(credentials.tokens[0].1.password, [2]);
        let debug = format!("{credentials:?}");
        assert!(
            !debug.contains("topsecret") && !debug.contains("115"),
            "{debug}"
        );
        assert!(debug.contains("secret-alias"), "{debug}");
        assert_eq!(Token::from_proto(&token(3).to_proto()), token(3));
    }
}
