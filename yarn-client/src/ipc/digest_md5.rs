//! SASL DIGEST-MD5 (RFC 2831) with `qop=auth`, as Hadoop uses it for token authentication.
//!
//! ```text
//! server                                             client
//!   challenge: realm="default",nonce="…",qop="auth",
//!              charset=utf-8,algorithm=md5-sess   ──►
//!                                                 ◄── response: username="…",realm="default",
//!                                                       nonce="…",cnonce="…",nc=00000001,
//!                                                       qop=auth,digest-uri="/default",
//!                                                       response=<hex>,charset=utf-8
//!   rspauth=<hex>                                 ──►   (client checks it)
//!
//! HA1      = MD5( MD5_raw(username ":" realm ":" password) ":" nonce ":" cnonce [":" authzid] )
//! HA2      = MD5( "AUTHENTICATE:" digest-uri )      for the response
//!            MD5( ":" digest-uri )                  for rspauth
//! response = hex MD5( hex(HA1) ":" nonce ":" nc ":" cnonce ":" qop ":" hex(HA2) )
//! ```
//!
//! Hadoop's token encoding (`SaslRpcServer`): the username is the standard base64 of the
//! token identifier, the password is the standard base64 of the token password, the realm is
//! `default` and the digest-uri is `<protocol>/<serverId>` from the advertised `SaslAuth`, i.e.
//! `/default`.
//!
//! Only `qop=auth` is implemented. `auth-int` and `auth-conf` (Hadoop's
//! `hadoop.rpc.protection` = `integrity` / `privacy`) need the SASL WRAP layer on every frame;
//! a challenge that offers only those is refused with an error saying so.
//!
//! The parsers here return a reason `String` on failure; the callers wrap it in a
//! [`crate::YarnError`] that names the peer.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use md5::{Digest, Md5};

/// The realm Hadoop's token servers use.
pub const HADOOP_TOKEN_REALM: &str = "default";
/// The only quality of protection implemented.
pub const QOP_AUTH: &str = "auth";
/// The only algorithm RFC 2831 allows.
pub const ALGORITHM_MD5_SESS: &str = "md5-sess";
/// The nonce count of the first (and only) authentication on a connection.
pub const FIRST_NONCE_COUNT: &str = "00000001";

/// Hadoop's SASL username for a token: base64 of the identifier.
pub fn hadoop_username(identifier: &[u8]) -> String {
    BASE64.encode(identifier)
}

/// Hadoop's SASL password for a token: base64 of the password bytes.
pub fn hadoop_password(password: &[u8]) -> String {
    BASE64.encode(password)
}

/// The identifier bytes of a Hadoop SASL username.
pub fn identifier_from_username(username: &str) -> Result<Vec<u8>, String> {
    BASE64
        .decode(username)
        .map_err(|e| format!("username is not base64 of a token identifier: {e}"))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)] as char);
        out.push(DIGITS[usize::from(byte & 0x0f)] as char);
    }
    out
}

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn md5_raw(parts: &[&[u8]]) -> [u8; 16] {
    let mut hasher = Md5::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// The inputs of one digest computation.
#[derive(Clone, Debug)]
pub struct DigestInputs<'a> {
    pub username: &'a str,
    pub realm: &'a str,
    pub password: &'a str,
    pub nonce: &'a str,
    pub cnonce: &'a str,
    pub nonce_count: &'a str,
    pub qop: &'a str,
    pub digest_uri: &'a str,
    pub authzid: Option<&'a str>,
}

impl DigestInputs<'_> {
    fn ha1_hex(&self) -> String {
        let inner = md5_raw(&[
            self.username.as_bytes(),
            b":",
            self.realm.as_bytes(),
            b":",
            self.password.as_bytes(),
        ]);
        let mut parts: Vec<&[u8]> = vec![
            &inner,
            b":",
            self.nonce.as_bytes(),
            b":",
            self.cnonce.as_bytes(),
        ];
        if let Some(authzid) = self.authzid {
            parts.push(b":");
            parts.push(authzid.as_bytes());
        }
        hex(&md5_raw(&parts))
    }

    fn digest(&self, a2_prefix: &str) -> String {
        let ha2 = hex(&md5_raw(&[
            a2_prefix.as_bytes(),
            self.digest_uri.as_bytes(),
        ]));
        let ha1 = self.ha1_hex();
        hex(&md5_raw(&[
            ha1.as_bytes(),
            b":",
            self.nonce.as_bytes(),
            b":",
            self.nonce_count.as_bytes(),
            b":",
            self.cnonce.as_bytes(),
            b":",
            self.qop.as_bytes(),
            b":",
            ha2.as_bytes(),
        ]))
    }

    /// The `response` value the client sends (32 hex digits).
    pub fn response_value(&self) -> String {
        self.digest("AUTHENTICATE:")
    }

    /// The `rspauth` value the server returns (32 hex digits).
    pub fn rspauth_value(&self) -> String {
        self.digest(":")
    }
}

/// Splits a digest-challenge or digest-response into `(lower-case name, value)` pairs.
///
/// Values are tokens or quoted strings (`\` escapes the next character; commas inside quotes
/// are part of the value). Empty list elements (`a=1,,b=2`) and white space around elements
/// are allowed, as in RFC 2831's `#rule`.
pub fn parse_directives(text: &str) -> Result<Vec<(String, String)>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut position = 0;
    let mut directives = Vec::new();
    let skip_white = |position: &mut usize| {
        while *position < chars.len() && chars[*position].is_whitespace() {
            *position += 1;
        }
    };
    loop {
        // Skip white space and empty elements.
        while position < chars.len() && (chars[position].is_whitespace() || chars[position] == ',')
        {
            position += 1;
        }
        if position >= chars.len() {
            return Ok(directives);
        }
        let name_start = position;
        while position < chars.len() && chars[position] != '=' && chars[position] != ',' {
            position += 1;
        }
        let name: String = chars[name_start..position].iter().collect();
        let name = name.trim().to_ascii_lowercase();
        if position >= chars.len() || chars[position] != '=' || name.is_empty() {
            return Err(format!(
                "directive '{name}' at character {name_start} has no '=' and value"
            ));
        }
        position += 1; // '='
        skip_white(&mut position);
        let value = if position < chars.len() && chars[position] == '"' {
            position += 1;
            let mut value = String::new();
            loop {
                match chars.get(position) {
                    None => return Err(format!("unterminated quoted value of '{name}'")),
                    Some('"') => {
                        position += 1;
                        break;
                    }
                    Some('\\') => {
                        let escaped = chars
                            .get(position + 1)
                            .ok_or_else(|| format!("dangling '\\' in the value of '{name}'"))?;
                        value.push(*escaped);
                        position += 2;
                    }
                    Some(c) => {
                        value.push(*c);
                        position += 1;
                    }
                }
            }
            value
        } else {
            let value_start = position;
            while position < chars.len() && chars[position] != ',' {
                position += 1;
            }
            chars[value_start..position]
                .iter()
                .collect::<String>()
                .trim()
                .to_string()
        };
        skip_white(&mut position);
        if position < chars.len() && chars[position] != ',' {
            return Err(format!(
                "expected ',' after the value of '{name}' at character {position}"
            ));
        }
        directives.push((name, value));
    }
}

fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|item| item.trim().to_string())
        .filter(|item| !item.is_empty())
        .collect()
}

fn single<'a>(directives: &'a [(String, String)], name: &str) -> Result<Option<&'a str>, String> {
    let mut values = directives.iter().filter(|(n, _)| n == name);
    let first = values.next().map(|(_, v)| v.as_str());
    if values.next().is_some() {
        return Err(format!("directive '{name}' appears more than once"));
    }
    Ok(first)
}

/// A parsed server challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestChallenge {
    /// Realms offered (Hadoop offers exactly `default`).
    pub realms: Vec<String>,
    pub nonce: String,
    /// `qop` options; `auth` when the directive is absent.
    pub qop_options: Vec<String>,
    /// Whether the server announced `charset=utf-8`.
    pub charset_utf8: bool,
    pub algorithm: String,
    /// Ciphers offered for `auth-conf` (unused here).
    pub cipher_options: Vec<String>,
}

impl DigestChallenge {
    /// Parses a challenge; `nonce` and `algorithm=md5-sess` are required.
    pub fn parse(challenge: &[u8]) -> Result<DigestChallenge, String> {
        let text = std::str::from_utf8(challenge)
            .map_err(|e| format!("DIGEST-MD5 challenge is not UTF-8: {e}"))?;
        let directives = parse_directives(text)?;
        let realms = directives
            .iter()
            .filter(|(n, _)| n == "realm")
            .map(|(_, v)| v.clone())
            .collect();
        let nonce = single(&directives, "nonce")?
            .ok_or("DIGEST-MD5 challenge has no nonce")?
            .to_string();
        let qop_options = match single(&directives, "qop")? {
            Some(value) => split_list(value),
            None => vec![QOP_AUTH.to_string()],
        };
        let charset_utf8 = match single(&directives, "charset")? {
            Some(value) if value.eq_ignore_ascii_case("utf-8") => true,
            Some(other) => return Err(format!("unsupported charset '{other}' in challenge")),
            None => false,
        };
        let algorithm = single(&directives, "algorithm")?
            .ok_or("DIGEST-MD5 challenge has no algorithm")?
            .to_string();
        if !algorithm.eq_ignore_ascii_case(ALGORITHM_MD5_SESS) {
            return Err(format!(
                "DIGEST-MD5 challenge asks for algorithm '{algorithm}', only md5-sess exists"
            ));
        }
        let cipher_options = single(&directives, "cipher")?
            .map(split_list)
            .unwrap_or_default();
        Ok(DigestChallenge {
            realms,
            nonce,
            qop_options,
            charset_utf8,
            algorithm,
            cipher_options,
        })
    }

    /// The challenge text a server sends.
    pub fn to_text(&self) -> String {
        let mut parts: Vec<String> = self
            .realms
            .iter()
            .map(|realm| format!("realm={}", quote(realm)))
            .collect();
        parts.push(format!("nonce={}", quote(&self.nonce)));
        parts.push(format!("qop={}", quote(&self.qop_options.join(","))));
        if self.charset_utf8 {
            parts.push("charset=utf-8".to_string());
        }
        parts.push(format!("algorithm={}", self.algorithm));
        if !self.cipher_options.is_empty() {
            parts.push(format!("cipher={}", quote(&self.cipher_options.join(","))));
        }
        parts.join(",")
    }
}

/// A parsed client response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestResponse {
    pub username: String,
    /// Empty when the client sent no realm.
    pub realm: String,
    pub nonce: String,
    pub cnonce: String,
    pub nonce_count: String,
    /// `auth` when the directive is absent.
    pub qop: String,
    pub digest_uri: String,
    /// 32 hex digits.
    pub response: String,
    pub charset_utf8: bool,
    pub authzid: Option<String>,
}

impl DigestResponse {
    /// Parses a response; username, nonce, cnonce, nc, digest-uri and response are required.
    pub fn parse(response: &[u8]) -> Result<DigestResponse, String> {
        let text = std::str::from_utf8(response)
            .map_err(|e| format!("DIGEST-MD5 response is not UTF-8: {e}"))?;
        let directives = parse_directives(text)?;
        let required = |name: &str| -> Result<String, String> {
            single(&directives, name)?
                .map(str::to_string)
                .ok_or_else(|| format!("DIGEST-MD5 response has no {name}"))
        };
        Ok(DigestResponse {
            username: required("username")?,
            realm: single(&directives, "realm")?.unwrap_or("").to_string(),
            nonce: required("nonce")?,
            cnonce: required("cnonce")?,
            nonce_count: required("nc")?,
            qop: single(&directives, "qop")?.unwrap_or(QOP_AUTH).to_string(),
            digest_uri: required("digest-uri")?,
            response: required("response")?,
            charset_utf8: single(&directives, "charset")?
                .is_some_and(|v| v.eq_ignore_ascii_case("utf-8")),
            authzid: single(&directives, "authzid")?.map(str::to_string),
        })
    }

    /// The response text a client sends.
    pub fn to_text(&self) -> String {
        let mut parts = Vec::new();
        if self.charset_utf8 {
            parts.push("charset=utf-8".to_string());
        }
        parts.push(format!("username={}", quote(&self.username)));
        parts.push(format!("realm={}", quote(&self.realm)));
        parts.push(format!("nonce={}", quote(&self.nonce)));
        parts.push(format!("nc={}", self.nonce_count));
        parts.push(format!("cnonce={}", quote(&self.cnonce)));
        parts.push(format!("digest-uri={}", quote(&self.digest_uri)));
        parts.push(format!("response={}", self.response));
        parts.push(format!("qop={}", self.qop));
        if let Some(authzid) = &self.authzid {
            parts.push(format!("authzid={}", quote(authzid)));
        }
        parts.join(",")
    }
}

fn random_base64(byte_count: usize) -> Result<String, String> {
    let mut bytes = vec![0u8; byte_count];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for a nonce: {e}"))?;
    Ok(BASE64.encode(bytes))
}

/// The client side of one DIGEST-MD5 authentication.
#[derive(Debug)]
pub struct DigestMd5Client {
    username: String,
    password: String,
    digest_uri: String,
    /// Set once a challenge has been answered: the rspauth the server must send back.
    expected_rspauth: Option<String>,
}

impl DigestMd5Client {
    /// A client for `username`/`password` talking to `digest_uri` (`protocol/serverId`).
    pub fn new(username: String, password: String, digest_uri: String) -> DigestMd5Client {
        DigestMd5Client {
            username,
            password,
            digest_uri,
            expected_rspauth: None,
        }
    }

    /// A client for a Hadoop token (base64 username and password).
    pub fn for_hadoop_token(identifier: &[u8], password: &[u8], digest_uri: String) -> Self {
        DigestMd5Client::new(
            hadoop_username(identifier),
            hadoop_password(password),
            digest_uri,
        )
    }

    /// Answers a challenge with a fresh random cnonce.
    pub fn respond(&mut self, challenge: &[u8]) -> Result<Vec<u8>, String> {
        let cnonce = random_base64(24)?;
        self.respond_with_cnonce(challenge, &cnonce)
    }

    /// Answers a challenge with the given cnonce (reproducible vectors, tests).
    pub fn respond_with_cnonce(
        &mut self,
        challenge: &[u8],
        cnonce: &str,
    ) -> Result<Vec<u8>, String> {
        if self.expected_rspauth.is_some() {
            return Err("a second DIGEST-MD5 challenge on one authentication".to_string());
        }
        let challenge = DigestChallenge::parse(challenge)?;
        if !challenge
            .qop_options
            .iter()
            .any(|q| q.eq_ignore_ascii_case(QOP_AUTH))
        {
            return Err(format!(
                "the server requires SASL quality of protection {:?}; hadoop.rpc.protection \
                 above `authentication` (integrity, privacy) is not supported yet",
                challenge.qop_options
            ));
        }
        let realm = challenge.realms.first().cloned().unwrap_or_default();
        let inputs = DigestInputs {
            username: &self.username,
            realm: &realm,
            password: &self.password,
            nonce: &challenge.nonce,
            cnonce,
            nonce_count: FIRST_NONCE_COUNT,
            qop: QOP_AUTH,
            digest_uri: &self.digest_uri,
            authzid: None,
        };
        let response = DigestResponse {
            username: self.username.clone(),
            realm: realm.clone(),
            nonce: challenge.nonce.clone(),
            cnonce: cnonce.to_string(),
            nonce_count: FIRST_NONCE_COUNT.to_string(),
            qop: QOP_AUTH.to_string(),
            digest_uri: self.digest_uri.clone(),
            response: inputs.response_value(),
            charset_utf8: challenge.charset_utf8,
            authzid: None,
        };
        self.expected_rspauth = Some(inputs.rspauth_value());
        Ok(response.to_text().into_bytes())
    }

    /// Checks the server's final `rspauth=<hex>` token.
    pub fn verify_rspauth(&self, token: &[u8]) -> Result<(), String> {
        let expected = self
            .expected_rspauth
            .as_ref()
            .ok_or("the server reported success before DIGEST-MD5 sent its response")?;
        let text = std::str::from_utf8(token)
            .map_err(|_| "the server's rspauth is not UTF-8".to_string())?;
        let directives = parse_directives(text)?;
        let rspauth =
            single(&directives, "rspauth")?.ok_or("the server's final token has no rspauth")?;
        if constant_time_eq(rspauth.as_bytes(), expected.as_bytes()) {
            Ok(())
        } else {
            Err(
                "the server's rspauth does not match: it does not know the token password"
                    .to_string(),
            )
        }
    }
}

/// Why a server rejected a DIGEST-MD5 response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DigestRejection {
    /// The response is malformed or does not fit the challenge (Hadoop: `SaslException`).
    Malformed(String),
    /// The password lookup refused the username (Hadoop: `InvalidToken`).
    UnknownUser(String),
    /// The digest does not match the password (Hadoop: `SaslException`, "Mismatched response").
    WrongPassword,
}

/// The server side of one DIGEST-MD5 authentication.
#[derive(Clone, Debug)]
pub struct DigestMd5Server {
    challenge: DigestChallenge,
    digest_uri: String,
}

impl DigestMd5Server {
    /// A server for Hadoop tokens: realm `default`, a random nonce, `qop="auth"`, utf-8,
    /// md5-sess; the client must use `digest_uri` (`protocol/serverId`, `/default`).
    pub fn new(digest_uri: String) -> Result<DigestMd5Server, String> {
        Ok(DigestMd5Server {
            challenge: DigestChallenge {
                realms: vec![HADOOP_TOKEN_REALM.to_string()],
                nonce: random_base64(30)?,
                qop_options: vec![QOP_AUTH.to_string()],
                charset_utf8: true,
                algorithm: ALGORITHM_MD5_SESS.to_string(),
                cipher_options: Vec::new(),
            },
            digest_uri,
        })
    }

    /// The challenge bytes.
    pub fn challenge(&self) -> Vec<u8> {
        self.challenge.to_text().into_bytes()
    }

    /// Verifies a client response. `password_of(username)` returns the SASL password of a
    /// username or why the username is not valid. Returns the username and the final
    /// `rspauth=<hex>` token.
    pub fn verify(
        &self,
        response: &[u8],
        password_of: impl FnOnce(&str) -> Result<String, String>,
    ) -> Result<(String, Vec<u8>), DigestRejection> {
        let response = DigestResponse::parse(response).map_err(DigestRejection::Malformed)?;
        let malformed = |detail: String| DigestRejection::Malformed(detail);
        if response.nonce != self.challenge.nonce {
            return Err(malformed(
                "DIGEST-MD5: nonce does not match the challenge".into(),
            ));
        }
        if u32::from_str_radix(&response.nonce_count, 16) != Ok(1) {
            return Err(malformed(format!(
                "DIGEST-MD5: nonce count {} is not 00000001",
                response.nonce_count
            )));
        }
        if !response.qop.eq_ignore_ascii_case(QOP_AUTH) {
            return Err(malformed(format!(
                "DIGEST-MD5: qop '{}' was not offered (only auth)",
                response.qop
            )));
        }
        if response.digest_uri != self.digest_uri {
            return Err(malformed(format!(
                "DIGEST-MD5: digest-uri '{}' does not match '{}'",
                response.digest_uri, self.digest_uri
            )));
        }
        if !self.challenge.realms.is_empty() && !self.challenge.realms.contains(&response.realm) {
            return Err(malformed(format!(
                "DIGEST-MD5: realm '{}' was not offered",
                response.realm
            )));
        }
        if let Some(authzid) = &response.authzid
            && *authzid != response.username
        {
            return Err(malformed(format!(
                "DIGEST-MD5: authorization id '{authzid}' differs from the username"
            )));
        }
        let password = password_of(&response.username).map_err(DigestRejection::UnknownUser)?;
        let inputs = DigestInputs {
            username: &response.username,
            realm: &response.realm,
            password: &password,
            nonce: &response.nonce,
            cnonce: &response.cnonce,
            nonce_count: &response.nonce_count,
            qop: &response.qop,
            digest_uri: &response.digest_uri,
            authzid: response.authzid.as_deref(),
        };
        let expected = inputs.response_value();
        if !constant_time_eq(
            expected.as_bytes(),
            response.response.to_ascii_lowercase().as_bytes(),
        ) {
            return Err(DigestRejection::WrongPassword);
        }
        let rspauth = format!("rspauth={}", inputs.rspauth_value());
        Ok((response.username, rspauth.into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc2831_inputs() -> DigestInputs<'static> {
        DigestInputs {
            username: "chris",
            realm: "elwood.innosoft.com",
            password: "secret",
            nonce: "OA6MG9tEQGm2hh",
            cnonce: "OA6MHXh6VqTrRk",
            nonce_count: "00000001",
            qop: "auth",
            digest_uri: "imap/elwood.innosoft.com",
            authzid: None,
        }
    }

    /// RFC 2831 §4 worked example (qop=auth, md5-sess).
    #[test]
    fn rfc2831_example_vector() {
        let inputs = rfc2831_inputs();
        assert_eq!(inputs.response_value(), "d388dad90d4bbd760a152321f2143af7");
        assert_eq!(inputs.rspauth_value(), "ea40f60335c427b5527b84dbabcdfffd");
    }

    #[test]
    fn client_answers_the_rfc_challenge() {
        let challenge = br#"realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",qop="auth",algorithm=md5-sess,charset=utf-8"#;
        let mut client = DigestMd5Client::new(
            "chris".into(),
            "secret".into(),
            "imap/elwood.innosoft.com".into(),
        );
        let response = client
            .respond_with_cnonce(challenge, "OA6MHXh6VqTrRk")
            .unwrap();
        let parsed = DigestResponse::parse(&response).unwrap();
        assert_eq!(parsed.response, "d388dad90d4bbd760a152321f2143af7");
        assert_eq!(parsed.nonce_count, "00000001");
        assert!(parsed.charset_utf8);
        client
            .verify_rspauth(b"rspauth=ea40f60335c427b5527b84dbabcdfffd")
            .unwrap();
        let err = client
            .verify_rspauth(b"rspauth=ea40f60335c427b5527b84dbabcdfffe")
            .unwrap_err();
        assert!(err.contains("does not match"), "{err}");
    }

    #[test]
    fn directives_handle_quotes_commas_escapes_and_spacing() {
        let parsed = parse_directives(
            r#" realm="a,b" , nonce="x\"y\\z",,qop = "auth,auth-int" ,algorithm=md5-sess, maxbuf=65536 "#,
        )
        .unwrap();
        assert_eq!(
            parsed,
            vec![
                ("realm".to_string(), "a,b".to_string()),
                ("nonce".to_string(), "x\"y\\z".to_string()),
                ("qop".to_string(), "auth,auth-int".to_string()),
                ("algorithm".to_string(), "md5-sess".to_string()),
                ("maxbuf".to_string(), "65536".to_string()),
            ]
        );
        assert!(
            parse_directives(r#"nonce="abc"#)
                .unwrap_err()
                .contains("unterminated")
        );
        assert!(parse_directives("nonce").unwrap_err().contains("no '='"));
        assert!(
            parse_directives(r#"nonce="a"b"#)
                .unwrap_err()
                .contains("expected ','")
        );
        assert_eq!(parse_directives("").unwrap(), vec![]);
    }

    #[test]
    fn challenge_parsing_requires_nonce_and_md5_sess() {
        let ok = DigestChallenge::parse(br#"nonce="n",algorithm=md5-sess"#).unwrap();
        assert_eq!(ok.qop_options, vec!["auth"]);
        assert!(ok.realms.is_empty());
        assert!(
            DigestChallenge::parse(br#"algorithm=md5-sess"#)
                .unwrap_err()
                .contains("no nonce")
        );
        assert!(DigestChallenge::parse(br#"nonce="n",algorithm=md5"#).is_err());
        assert!(DigestChallenge::parse(br#"nonce="n",nonce="m",algorithm=md5-sess"#).is_err());
        assert!(DigestChallenge::parse(&[0xff, 0xfe]).is_err());
    }

    #[test]
    fn integrity_or_privacy_only_is_refused_clearly() {
        let mut client = DigestMd5Client::new("u".into(), "p".into(), "/default".into());
        let err = client
            .respond(br#"realm="default",nonce="n",qop="auth-int,auth-conf",algorithm=md5-sess"#)
            .unwrap_err();
        assert!(err.contains("hadoop.rpc.protection"), "{err}");
        assert!(err.contains("not supported yet"), "{err}");
    }

    #[test]
    fn server_and_client_agree_and_wrong_passwords_fail() {
        let server = DigestMd5Server::new("/default".into()).unwrap();
        let challenge_text = String::from_utf8(server.challenge()).unwrap();
        assert!(
            challenge_text.starts_with("realm=\"default\",nonce=\""),
            "{challenge_text}"
        );
        assert!(
            challenge_text.ends_with(",qop=\"auth\",charset=utf-8,algorithm=md5-sess"),
            "{challenge_text}"
        );
        let mut client = DigestMd5Client::for_hadoop_token(b"id", b"pw", "/default".into());
        let response = client.respond(&server.challenge()).unwrap();
        let (username, rspauth) = server
            .verify(&response, |user| {
                assert_eq!(identifier_from_username(user).unwrap(), b"id");
                Ok(hadoop_password(b"pw"))
            })
            .unwrap();
        assert_eq!(username, hadoop_username(b"id"));
        client.verify_rspauth(&rspauth).unwrap();

        assert_eq!(
            server.verify(&response, |_| Ok(hadoop_password(b"other"))),
            Err(DigestRejection::WrongPassword)
        );
        assert_eq!(
            server.verify(&response, |_| Err("token expired".into())),
            Err(DigestRejection::UnknownUser("token expired".into()))
        );
    }

    #[test]
    fn server_rejects_responses_that_do_not_fit_the_challenge() {
        let server = DigestMd5Server::new("/default".into()).unwrap();
        let mut client = DigestMd5Client::for_hadoop_token(b"id", b"pw", "/default".into());
        let good = DigestResponse::parse(&client.respond(&server.challenge()).unwrap()).unwrap();
        let variants: Vec<(DigestResponse, &str)> = vec![
            (
                DigestResponse {
                    nonce: "other".into(),
                    ..good.clone()
                },
                "nonce",
            ),
            (
                DigestResponse {
                    nonce_count: "00000002".into(),
                    ..good.clone()
                },
                "nonce count",
            ),
            (
                DigestResponse {
                    qop: "auth-int".into(),
                    ..good.clone()
                },
                "qop",
            ),
            (
                DigestResponse {
                    digest_uri: "yarn/host".into(),
                    ..good.clone()
                },
                "digest-uri",
            ),
            (
                DigestResponse {
                    realm: "elsewhere".into(),
                    ..good.clone()
                },
                "realm",
            ),
            (
                DigestResponse {
                    authzid: Some("bob".into()),
                    ..good.clone()
                },
                "authorization id",
            ),
        ];
        for (response, expected) in variants {
            match server.verify(response.to_text().as_bytes(), |_| {
                Ok(hadoop_password(b"pw"))
            }) {
                Err(DigestRejection::Malformed(detail)) => {
                    assert!(detail.contains(expected), "{detail}")
                }
                other => panic!("{expected}: {other:?}"),
            }
        }
        match server.verify(b"username=\"x\"", |_| Ok(String::new())) {
            Err(DigestRejection::Malformed(detail)) => assert!(detail.contains("no nonce")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn constant_time_eq_compares_contents_and_lengths() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert_eq!(hex(&[0x00, 0xab, 0xff]), "00abff");
    }
}
