//! The Hadoop user a client acts as on an insecure cluster (SIMPLE auth).
//!
//! Like Hadoop's `UserGroupInformation` without Kerberos: `HADOOP_USER_NAME` if set (also what
//! Weir puts into every container it starts), else the operating-system login user, looked up by
//! the process's real uid in `/etc/passwd`, else `USER` / `LOGNAME`.

use std::path::Path;

use crate::error::YarnError;

/// The environment variable that overrides the Hadoop user, as in Hadoop.
pub const HADOOP_USER_NAME: &str = "HADOOP_USER_NAME";

/// The user name to send in the SIMPLE connection context.
pub fn current_user() -> Result<String, YarnError> {
    user_from(
        |name| std::env::var(name).ok(),
        rustix::process::getuid().as_raw(),
        Path::new("/etc/passwd"),
    )
}

/// [`current_user`] with its inputs given (environment lookup, uid, passwd file), for tests.
pub fn user_from(
    env: impl Fn(&str) -> Option<String>,
    uid: u32,
    passwd: &Path,
) -> Result<String, YarnError> {
    if let Some(name) = env(HADOOP_USER_NAME).filter(|name| !name.trim().is_empty()) {
        return Ok(name.trim().to_string());
    }
    let passwd_error = match std::fs::read_to_string(passwd) {
        Ok(text) => match user_of_uid(&text, uid) {
            Some(name) => return Ok(name),
            None => format!("uid {uid} has no entry in {}", passwd.display()),
        },
        Err(error) => format!("cannot read {}: {error}", passwd.display()),
    };
    for variable in ["USER", "LOGNAME"] {
        if let Some(name) = env(variable).filter(|name| !name.trim().is_empty()) {
            return Ok(name.trim().to_string());
        }
    }
    Err(YarnError::UnknownUser {
        detail: format!("{HADOOP_USER_NAME}, USER and LOGNAME are unset and {passwd_error}"),
    })
}

/// The login name of `uid` in passwd(5) text (`name:x:uid:gid:...`).
fn user_of_uid(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let _password = fields.next()?;
        let entry_uid: u32 = fields.next()?.parse().ok()?;
        (entry_uid == uid && !name.is_empty()).then(|| name.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn hadoop_user_name_wins() {
        let dir = tempfile::tempdir().unwrap();
        let passwd = dir.path().join("passwd");
        std::fs::write(&passwd, "root:x:0:0::/root:/bin/sh\n").unwrap();
        let env = env_of(&[("HADOOP_USER_NAME", "alice"), ("USER", "bob")]);
        assert_eq!(user_from(env, 0, &passwd).unwrap(), "alice");
    }

    #[test]
    fn os_user_comes_from_passwd_then_user_variable() {
        let dir = tempfile::tempdir().unwrap();
        let passwd = dir.path().join("passwd");
        std::fs::write(
            &passwd,
            "root:x:0:0::/root:/bin/sh\n# comment\nbad line\ncarol:x:1000:1000::/home/carol:/bin/sh\n",
        )
        .unwrap();
        assert_eq!(
            user_from(env_of(&[("USER", "bob")]), 1000, &passwd).unwrap(),
            "carol"
        );
        assert_eq!(
            user_from(env_of(&[("USER", "bob")]), 1234, &passwd).unwrap(),
            "bob"
        );
        let error = user_from(env_of(&[]), 1234, &passwd).unwrap_err();
        assert!(error.to_string().contains("uid 1234"), "{error}");
        assert!(error.to_string().contains("HADOOP_USER_NAME"), "{error}");
    }
}
