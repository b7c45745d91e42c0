//! Hadoop's XML configuration (`core-site.xml`, `yarn-site.xml`, `hdfs-site.xml`): the keys a
//! YARN client needs to find the ResourceManager(s) and the default file system.
//!
//! Where the files come from ([`HadoopConf::load_default`]): the first of `$YARN_CONF_DIR`,
//! `$HADOOP_CONF_DIR`, `$HADOOP_HOME/etc/hadoop` that is an existing directory; none → an
//! empty configuration, i.e. Hadoop's defaults (RM at `0.0.0.0:8032`, `file:///`).
//! In a directory the files are read in the order core → yarn → hdfs; a later file overrides
//! an earlier one's key, like the order in which Java's `YarnConfiguration` and
//! `HdfsConfiguration` add their resources. Missing files are skipped.
//!
//! File format, as Hadoop's `Configuration` reads it:
//! ```xml
//! <configuration>
//!   <property><name>yarn.resourcemanager.hostname</name><value>rm1.example</value></property>
//!   <property name="fs.defaultFS" value="hdfs://nn:8020"/>             <!-- attribute form -->
//!   <xi:include href="more.xml" xmlns:xi="http://www.w3.org/2001/XInclude"/>
//! </configuration>
//! ```
//! Names are trimmed, values kept as written (typed accessors trim). A property without a name
//! or without a value is skipped. `<final>` is ignored: it only guards against later resources,
//! and the `*-default.xml` files it protects from are not read here. `<xi:include>` is followed
//! relative to the including file (a missing target is an error unless the element has an
//! `<xi:fallback>`).
//!
//! Variable expansion, as `Configuration.get` does it: `${name}` is replaced by the value of
//! another key, `${env.NAME}` by an environment variable (`${env.NAME:-fallback}` when unset or
//! empty, `${env.NAME-fallback}` when unset), and `${user.name}` by `$USER` (Java's system
//! property). Expansion stops, leaving the rest as written, at the first reference that has no
//! value; a value that would contain its own reference stays unexpanded; more than
//! [`MAX_SUBSTITUTIONS`] substitutions (a cycle) is an error for that key, reported when the key
//! is read through [`HadoopConf::get_checked`] or a typed accessor.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::error::YarnError;

/// Substitutions per value before expansion gives up (Hadoop's `MAX_SUBST`).
pub const MAX_SUBSTITUTIONS: usize = 20;
/// Files read from a configuration directory, in this order.
pub const SITE_FILES: [&str; 3] = ["core-site.xml", "yarn-site.xml", "hdfs-site.xml"];
const MAX_INCLUDE_DEPTH: usize = 8;
const XINCLUDE_NAMESPACE: &str = "http://www.w3.org/2001/XInclude";

pub const RM_ADDRESS_KEY: &str = "yarn.resourcemanager.address";
pub const RM_SCHEDULER_ADDRESS_KEY: &str = "yarn.resourcemanager.scheduler.address";
pub const RM_HOSTNAME_KEY: &str = "yarn.resourcemanager.hostname";
pub const RM_HA_ENABLED_KEY: &str = "yarn.resourcemanager.ha.enabled";
pub const RM_HA_IDS_KEY: &str = "yarn.resourcemanager.ha.rm-ids";
pub const DEFAULT_FS_KEY: &str = "fs.defaultFS";
/// The pre-2.x name of [`DEFAULT_FS_KEY`], still honoured by Hadoop.
pub const DEPRECATED_DEFAULT_FS_KEY: &str = "fs.default.name";
pub const DEFAULT_RM_PORT: u16 = 8032;
pub const DEFAULT_RM_SCHEDULER_PORT: u16 = 8030;
pub const DEFAULT_RM_HOSTNAME: &str = "0.0.0.0";
pub const DEFAULT_FS: &str = "file:///";

/// One key's value as written, where it was written, and its expansion.
#[derive(Clone, Debug)]
struct Property {
    raw: String,
    /// The file that set it; `None` when set in code.
    source: Option<PathBuf>,
    /// The value after `${..}` expansion, or why expansion failed.
    expanded: Result<String, String>,
}

/// A Hadoop configuration: key → value, with `${var}` expansion.
#[derive(Clone, Debug, Default)]
pub struct HadoopConf {
    properties: BTreeMap<String, Property>,
    /// The directory the files were read from, if any.
    source_dir: Option<PathBuf>,
}

impl HadoopConf {
    /// No keys: every accessor returns Hadoop's default.
    pub fn empty() -> HadoopConf {
        HadoopConf::default()
    }

    /// Reads the first configuration directory that exists (see the module docs), or returns an
    /// empty configuration when there is none.
    pub fn load_default() -> Result<HadoopConf, YarnError> {
        HadoopConf::load_with_env(&|name| std::env::var_os(name))
    }

    /// [`HadoopConf::load_default`] with the environment given as a lookup function.
    pub fn load_with_env(env: &dyn Fn(&str) -> Option<OsString>) -> Result<HadoopConf, YarnError> {
        match HadoopConf::config_dir_from_env(env) {
            Some(dir) => HadoopConf::load_dir(&dir),
            None => Ok(HadoopConf::empty()),
        }
    }

    /// The directory [`HadoopConf::load_with_env`] reads: the first existing one of
    /// `$YARN_CONF_DIR`, `$HADOOP_CONF_DIR`, `$HADOOP_HOME/etc/hadoop`.
    pub fn config_dir_from_env(env: &dyn Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
        let set = |name: &str| {
            env(name)
                .filter(|value| !value.is_empty())
                .map(PathBuf::from)
        };
        [
            set("YARN_CONF_DIR"),
            set("HADOOP_CONF_DIR"),
            set("HADOOP_HOME").map(|home| home.join("etc").join("hadoop")),
        ]
        .into_iter()
        .flatten()
        .find(|dir| dir.is_dir())
    }

    /// Reads `core-site.xml`, `yarn-site.xml` and `hdfs-site.xml` from `dir` (those that
    /// exist). The directory itself must exist.
    pub fn load_dir(dir: &Path) -> Result<HadoopConf, YarnError> {
        if !dir.is_dir() {
            return Err(YarnError::HadoopConf {
                path: dir.to_path_buf(),
                detail: "not a directory (check YARN_CONF_DIR / HADOOP_CONF_DIR / HADOOP_HOME)"
                    .to_string(),
            });
        }
        let mut conf = HadoopConf {
            properties: BTreeMap::new(),
            source_dir: Some(dir.to_path_buf()),
        };
        for name in SITE_FILES {
            let path = dir.join(name);
            if path.is_file() {
                conf.read_file(&path, 0)?;
            }
        }
        conf.expand_all();
        Ok(conf)
    }

    /// Adds the properties of one XML file (later keys override earlier ones).
    pub fn load_file(&mut self, path: &Path) -> Result<(), YarnError> {
        self.read_file(path, 0)?;
        self.expand_all();
        Ok(())
    }

    /// The directory the configuration was read from.
    pub fn source_dir(&self) -> Option<&Path> {
        self.source_dir.as_deref()
    }

    /// The file that set `key` (`None` for keys set in code or absent).
    pub fn source_of(&self, key: &str) -> Option<&Path> {
        self.properties.get(key)?.source.as_deref()
    }

    /// The expanded value of `key`. A key whose expansion failed (a substitution cycle) is
    /// returned as written; use [`HadoopConf::get_checked`] to see that error.
    pub fn get(&self, key: &str) -> Option<&str> {
        let property = self.properties.get(key)?;
        Some(match &property.expanded {
            Ok(value) => value,
            Err(_) => &property.raw,
        })
    }

    /// The expanded value of `key`, or an error naming the key and its file when its
    /// expansion failed.
    pub fn get_checked(&self, key: &str) -> Result<Option<&str>, YarnError> {
        match self.properties.get(key) {
            None => Ok(None),
            Some(property) => match &property.expanded {
                Ok(value) => Ok(Some(value)),
                Err(detail) => Err(self.value_error(key, detail.clone())),
            },
        }
    }

    /// The expanded, trimmed value; `None` when absent or blank.
    pub fn get_trimmed(&self, key: &str) -> Result<Option<&str>, YarnError> {
        Ok(self
            .get_checked(key)?
            .map(str::trim)
            .filter(|value| !value.is_empty()))
    }

    /// `true`/`false` (any case); absent → `default`; anything else is an error.
    pub fn get_bool(&self, key: &str, default: bool) -> Result<bool, YarnError> {
        match self.get_trimmed(key)? {
            None => Ok(default),
            Some(value) if value.eq_ignore_ascii_case("true") => Ok(true),
            Some(value) if value.eq_ignore_ascii_case("false") => Ok(false),
            Some(value) => {
                Err(self.value_error(key, format!("'{value}' is not a boolean (true or false)")))
            }
        }
    }

    /// A decimal integer; absent → `None`.
    pub fn get_i64(&self, key: &str) -> Result<Option<i64>, YarnError> {
        match self.get_trimmed(key)? {
            None => Ok(None),
            Some(value) => value
                .parse()
                .map(Some)
                .map_err(|_| self.value_error(key, format!("'{value}' is not a decimal integer"))),
        }
    }

    /// Sets `key` (as if written in a file) and re-expands every value.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let raw = value.into();
        self.properties.insert(
            key.into(),
            Property {
                expanded: Ok(raw.clone()),
                raw,
                source: None,
            },
        );
        self.expand_all();
    }

    /// `host:port` of every ResourceManager's client protocol (ApplicationClientProtocol), in
    /// fail-over order.
    pub fn resource_manager_addresses(&self) -> Result<Vec<String>, YarnError> {
        self.rm_addresses(RM_ADDRESS_KEY, DEFAULT_RM_PORT)
    }

    /// `host:port` of every ResourceManager's scheduler (ApplicationMasterProtocol).
    pub fn scheduler_addresses(&self) -> Result<Vec<String>, YarnError> {
        self.rm_addresses(RM_SCHEDULER_ADDRESS_KEY, DEFAULT_RM_SCHEDULER_PORT)
    }

    /// `fs.defaultFS` (or the deprecated `fs.default.name`), default `file:///`. A value whose
    /// `${..}` expansion failed is used as written (the file system client then rejects it).
    pub fn default_fs(&self) -> String {
        let trimmed = |key| {
            self.get(key)
                .map(str::trim)
                .filter(|value| !value.is_empty())
        };
        trimmed(DEFAULT_FS_KEY)
            .or_else(|| trimmed(DEPRECATED_DEFAULT_FS_KEY))
            .unwrap_or(DEFAULT_FS)
            .to_string()
    }

    /// Without HA: `<address_key>`, else `<yarn.resourcemanager.hostname>:<default_port>`.
    /// With HA (`yarn.resourcemanager.ha.enabled`): for each id of
    /// `yarn.resourcemanager.ha.rm-ids`, `<address_key>.<id>`, else
    /// `yarn.resourcemanager.hostname.<id>:<default_port>`; an id with neither is an error,
    /// as in Hadoop.
    fn rm_addresses(&self, address_key: &str, default_port: u16) -> Result<Vec<String>, YarnError> {
        if !self.get_bool(RM_HA_ENABLED_KEY, false)? {
            let address = match self.get_trimmed(address_key)? {
                Some(address) => self.host_port(address_key, address, default_port)?,
                None => {
                    let host = self
                        .get_trimmed(RM_HOSTNAME_KEY)?
                        .unwrap_or(DEFAULT_RM_HOSTNAME);
                    self.host_port(RM_HOSTNAME_KEY, host, default_port)?
                }
            };
            return Ok(vec![address]);
        }
        let ids: Vec<&str> = self
            .get_trimmed(RM_HA_IDS_KEY)?
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .collect();
        if ids.is_empty() {
            return Err(self.value_error(
                RM_HA_IDS_KEY,
                format!("{RM_HA_ENABLED_KEY} is true but no ResourceManager ids are listed"),
            ));
        }
        ids.into_iter()
            .map(|id| {
                let id_address_key = format!("{address_key}.{id}");
                if let Some(address) = self.get_trimmed(&id_address_key)? {
                    return self.host_port(&id_address_key, address, default_port);
                }
                let id_hostname_key = format!("{RM_HOSTNAME_KEY}.{id}");
                match self.get_trimmed(&id_hostname_key)? {
                    Some(host) => self.host_port(&id_hostname_key, host, default_port),
                    None => Err(self.value_error(
                        &id_address_key,
                        format!(
                            "ResourceManager id '{id}' (from {RM_HA_IDS_KEY}) has neither \
                             {id_address_key} nor {id_hostname_key}"
                        ),
                    )),
                }
            })
            .collect()
    }

    /// `host` or `host:port` → `host:port`.
    fn host_port(&self, key: &str, value: &str, default_port: u16) -> Result<String, YarnError> {
        let bad = |why: &str| self.value_error(key, format!("'{value}' is not host[:port]: {why}"));
        // [v6]:port, [v6], host:port, host
        let (host, port) = if let Some(rest) = value.strip_prefix('[') {
            let (host, after) = rest.split_once(']').ok_or_else(|| bad("'[' without ']'"))?;
            match after {
                "" => (format!("[{host}]"), None),
                _ => match after.strip_prefix(':') {
                    Some(port) => (format!("[{host}]"), Some(port)),
                    None => return Err(bad("text after ']' is not ':port'")),
                },
            }
        } else {
            match value.rsplit_once(':') {
                Some((host, port)) => (host.to_string(), Some(port)),
                None => (value.to_string(), None),
            }
        };
        if host.is_empty() || host.contains(char::is_whitespace) || host.contains('/') {
            return Err(bad("empty or malformed host"));
        }
        let port = match port {
            None => default_port,
            Some(port) => port
                .parse::<u16>()
                .map_err(|_| bad("the port is not a number from 0 to 65535"))?,
        };
        Ok(format!("{host}:{port}"))
    }

    fn value_error(&self, key: &str, detail: String) -> YarnError {
        let detail = match self.source_of(key) {
            Some(path) => format!("{detail} (set in {})", path.display()),
            None => detail,
        };
        YarnError::ConfigValue {
            key: key.to_string(),
            detail,
        }
    }

    // ---- XML ----

    fn read_file(&mut self, path: &Path, include_depth: usize) -> Result<(), YarnError> {
        let error = |detail: String| YarnError::HadoopConf {
            path: path.to_path_buf(),
            detail,
        };
        let text = std::fs::read_to_string(path).map_err(|e| error(format!("cannot read: {e}")))?;
        let document = roxmltree::Document::parse(&text).map_err(|e| {
            let position = e.pos();
            error(format!(
                "not well-formed XML at line {}, column {}: {e}",
                position.row, position.col
            ))
        })?;
        let line_of = |node: roxmltree::Node| document.text_pos_at(node.range().start).row;
        let root = document.root_element();
        if root.tag_name().name() != "configuration" {
            return Err(error(format!(
                "line {}: the top-level element is <{}>, expected <configuration>",
                line_of(root),
                root.tag_name().name()
            )));
        }
        self.read_configuration(root, path, include_depth, &line_of)
    }

    fn read_configuration(
        &mut self,
        element: roxmltree::Node,
        path: &Path,
        include_depth: usize,
        line_of: &dyn Fn(roxmltree::Node) -> u32,
    ) -> Result<(), YarnError> {
        for child in element.children().filter(roxmltree::Node::is_element) {
            match (child.tag_name().namespace(), child.tag_name().name()) {
                (None, "property") => self.read_property(child, path),
                (None, "configuration") => {
                    self.read_configuration(child, path, include_depth, line_of)?
                }
                (Some(XINCLUDE_NAMESPACE), "include") => {
                    self.read_include(child, path, include_depth, line_of)?
                }
                (_, other) => tracing::debug!(
                    file = %path.display(),
                    line = line_of(child),
                    element = other,
                    "ignoring unknown element in Hadoop configuration"
                ),
            }
        }
        Ok(())
    }

    fn read_property(&mut self, property: roxmltree::Node, path: &Path) {
        let mut name = property.attribute("name").map(str::to_string);
        let mut value = property.attribute("value").map(str::to_string);
        for field in property.children().filter(roxmltree::Node::is_element) {
            let text: String = field
                .descendants()
                .filter(roxmltree::Node::is_text)
                .filter_map(|node| node.text())
                .collect();
            match field.tag_name().name() {
                "name" => name = Some(text),
                "value" => value = Some(text),
                _ => {} // final, description, source, tag
            }
        }
        let name = name.map(|name| name.trim().to_string()).unwrap_or_default();
        let Some(value) = value else { return };
        if name.is_empty() {
            return;
        }
        self.properties.insert(
            name,
            Property {
                expanded: Ok(value.clone()),
                raw: value,
                source: Some(path.to_path_buf()),
            },
        );
    }

    fn read_include(
        &mut self,
        include: roxmltree::Node,
        path: &Path,
        include_depth: usize,
        line_of: &dyn Fn(roxmltree::Node) -> u32,
    ) -> Result<(), YarnError> {
        let error = |detail: String| YarnError::HadoopConf {
            path: path.to_path_buf(),
            detail: format!("line {}: {detail}", line_of(include)),
        };
        let href = include
            .attribute("href")
            .ok_or_else(|| error("<xi:include> without href".to_string()))?;
        if include_depth >= MAX_INCLUDE_DEPTH {
            return Err(error(format!(
                "more than {MAX_INCLUDE_DEPTH} nested <xi:include>s (a cycle?)"
            )));
        }
        let target = match path.parent() {
            Some(dir) => dir.join(href),
            None => PathBuf::from(href),
        };
        if target.is_file() {
            return self.read_file(&target, include_depth + 1);
        }
        let has_fallback = include.children().any(|child| {
            child.tag_name().namespace() == Some(XINCLUDE_NAMESPACE)
                && child.tag_name().name() == "fallback"
        });
        if has_fallback {
            Ok(())
        } else {
            Err(error(format!(
                "included file {} does not exist and there is no <xi:fallback>",
                target.display()
            )))
        }
    }

    // ---- ${var} expansion ----

    fn expand_all(&mut self) {
        let expanded: Vec<(String, Result<String, String>)> = self
            .properties
            .iter()
            .map(|(key, property)| (key.clone(), self.expand(&property.raw)))
            .collect();
        for (key, value) in expanded {
            if let Some(property) = self.properties.get_mut(&key) {
                property.expanded = value;
            }
        }
    }

    fn expand(&self, raw: &str) -> Result<String, String> {
        let mut current = raw.to_string();
        for _ in 0..MAX_SUBSTITUTIONS {
            let Some(reference) = find_reference(&current) else {
                return Ok(current);
            };
            let name = &current[reference.start + 2..reference.end - 1];
            let Some(replacement) = self.lookup_variable(name) else {
                return Ok(current); // unbound: the reference stays, and so does the rest
            };
            if replacement.contains(&current[reference.clone()]) {
                return Ok(raw.to_string()); // self-reference: leave the value as written
            }
            current.replace_range(reference, &replacement);
        }
        match find_reference(&current) {
            None => Ok(current),
            Some(_) => Err(format!(
                "more than {MAX_SUBSTITUTIONS} ${{..}} substitutions in '{raw}' (a reference cycle?)"
            )),
        }
    }

    fn lookup_variable(&self, name: &str) -> Option<String> {
        if let Some(env_spec) = name.strip_prefix("env.").filter(|spec| !spec.is_empty()) {
            return lookup_env(env_spec);
        }
        if name == "user.name"
            && let Ok(user) = std::env::var("USER")
        {
            return Some(user);
        }
        self.properties
            .get(name)
            .map(|property| property.raw.clone())
    }
}

/// `NAME`, `NAME:-fallback` (unset or empty), `NAME-fallback` (unset).
fn lookup_env(spec: &str) -> Option<String> {
    let var = |name: &str| std::env::var(name).ok();
    match spec.find(['-', ':']) {
        Some(at) if spec[at..].starts_with(":-") => Some(
            var(&spec[..at])
                .filter(|value| !value.is_empty())
                .unwrap_or_else(|| spec[at + 2..].to_string()),
        ),
        Some(at) if spec[at..].starts_with('-') => {
            Some(var(&spec[..at]).unwrap_or_else(|| spec[at + 1..].to_string()))
        }
        _ => var(spec),
    }
}

/// The byte range of the first `${name}` whose name is non-empty and holds no `$`, `}` or
/// space (so in `${a${b}}` the inner `${b}` is found first).
fn find_reference(text: &str) -> Option<std::ops::Range<usize>> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(offset) = text[from..].find("${") {
        let start = from + offset;
        let name_start = start + 2;
        let name_len = bytes[name_start..]
            .iter()
            .position(|&b| b == b'}' || b == b'$' || b == b' ');
        if let Some(len) = name_len
            && len > 0
            && bytes[name_start + len] == b'}'
        {
            return Some(start..name_start + len + 1);
        }
        from = start + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    fn site(properties: &[(&str, &str)]) -> String {
        let mut xml = String::from("<?xml version=\"1.0\"?>\n<configuration>\n");
        for (name, value) in properties {
            xml.push_str(&format!(
                "  <property>\n    <name>{name}</name>\n    <value>{value}</value>\n  </property>\n"
            ));
        }
        xml.push_str("</configuration>\n");
        xml
    }

    fn conf_dir(files: &[(&str, String)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    #[test]
    fn defaults_without_any_configuration() {
        let conf = HadoopConf::empty();
        assert_eq!(
            conf.resource_manager_addresses().unwrap(),
            vec!["0.0.0.0:8032"]
        );
        assert_eq!(conf.scheduler_addresses().unwrap(), vec!["0.0.0.0:8030"]);
        assert_eq!(conf.default_fs(), "file:///");
    }

    #[test]
    fn reads_site_files_with_later_files_winning() {
        let dir = conf_dir(&[
            (
                "core-site.xml",
                site(&[("fs.defaultFS", "hdfs://nn:8020"), ("shared", "core")]),
            ),
            (
                "yarn-site.xml",
                site(&[
                    ("yarn.resourcemanager.hostname", "rm.example"),
                    ("shared", "yarn"),
                ]),
            ),
        ]);
        let conf = HadoopConf::load_dir(dir.path()).unwrap();
        assert_eq!(conf.default_fs(), "hdfs://nn:8020");
        assert_eq!(conf.get("shared"), Some("yarn"));
        assert_eq!(
            conf.source_of("shared"),
            Some(dir.path().join("yarn-site.xml").as_path())
        );
        assert_eq!(
            conf.resource_manager_addresses().unwrap(),
            vec!["rm.example:8032"]
        );
        assert_eq!(conf.scheduler_addresses().unwrap(), vec!["rm.example:8030"]);
        assert_eq!(conf.source_dir(), Some(dir.path()));
    }

    #[test]
    fn explicit_addresses_and_missing_ports() {
        let mut conf = HadoopConf::empty();
        conf.set("yarn.resourcemanager.hostname", "ignored");
        conf.set(RM_ADDRESS_KEY, " rm:9032 ");
        conf.set(RM_SCHEDULER_ADDRESS_KEY, "rm");
        assert_eq!(conf.resource_manager_addresses().unwrap(), vec!["rm:9032"]);
        assert_eq!(conf.scheduler_addresses().unwrap(), vec!["rm:8030"]);
        conf.set(RM_ADDRESS_KEY, "[::1]:9032");
        assert_eq!(
            conf.resource_manager_addresses().unwrap(),
            vec!["[::1]:9032"]
        );
        conf.set(RM_ADDRESS_KEY, "rm:http");
        let error = conf.resource_manager_addresses().unwrap_err().to_string();
        assert!(
            error.contains(RM_ADDRESS_KEY) && error.contains("rm:http"),
            "{error}"
        );
    }

    #[test]
    fn yarn_default_style_address_expands_the_hostname() {
        let mut conf = HadoopConf::empty();
        conf.set(RM_HOSTNAME_KEY, "rm.example");
        conf.set(RM_ADDRESS_KEY, "${yarn.resourcemanager.hostname}:8032");
        assert_eq!(
            conf.resource_manager_addresses().unwrap(),
            vec!["rm.example:8032"]
        );
    }

    #[test]
    fn resource_manager_ha_with_rm_ids() {
        let dir = conf_dir(&[(
            "yarn-site.xml",
            site(&[
                (RM_HA_ENABLED_KEY, "true"),
                (RM_HA_IDS_KEY, " rm1, rm2 ,rm3"),
                ("yarn.resourcemanager.hostname.rm1", "host1"),
                ("yarn.resourcemanager.address.rm2", "host2:18032"),
                ("yarn.resourcemanager.hostname.rm2", "ignored"),
                ("yarn.resourcemanager.hostname.rm3", "host3"),
                ("yarn.resourcemanager.scheduler.address.rm3", "host3:18030"),
            ]),
        )]);
        let conf = HadoopConf::load_dir(dir.path()).unwrap();
        assert_eq!(
            conf.resource_manager_addresses().unwrap(),
            vec!["host1:8032", "host2:18032", "host3:8032"]
        );
        assert_eq!(
            conf.scheduler_addresses().unwrap(),
            vec!["host1:8030", "ignored:8030", "host3:18030"]
        );
    }

    #[test]
    fn ha_errors_name_the_key_and_the_file() {
        let dir = conf_dir(&[(
            "yarn-site.xml",
            site(&[
                (RM_HA_ENABLED_KEY, "true"),
                (RM_HA_IDS_KEY, "rm1,rm2"),
                ("yarn.resourcemanager.hostname.rm1", "host1"),
            ]),
        )]);
        let conf = HadoopConf::load_dir(dir.path()).unwrap();
        let error = conf.resource_manager_addresses().unwrap_err();
        match &error {
            YarnError::ConfigValue { key, detail } => {
                assert_eq!(key, "yarn.resourcemanager.address.rm2");
                assert!(
                    detail.contains("yarn.resourcemanager.hostname.rm2"),
                    "{detail}"
                );
            }
            other => panic!("unexpected {other:?}"),
        }

        let mut conf = HadoopConf::load_dir(dir.path()).unwrap();
        conf.set(RM_HA_IDS_KEY, " , ");
        let error = conf.resource_manager_addresses().unwrap_err().to_string();
        assert!(error.contains(RM_HA_IDS_KEY), "{error}");

        let dir = conf_dir(&[("yarn-site.xml", site(&[(RM_HA_ENABLED_KEY, "yes")]))]);
        let conf = HadoopConf::load_dir(dir.path()).unwrap();
        let error = conf.resource_manager_addresses().unwrap_err().to_string();
        assert!(error.contains(RM_HA_ENABLED_KEY), "{error}");
        assert!(error.contains("yarn-site.xml"), "{error}");
    }

    #[test]
    fn broken_xml_names_the_file_and_line() {
        let dir = conf_dir(&[(
            "yarn-site.xml",
            "<configuration>\n  <property>\n    <name>a</name>\n    <value>1</valu>\n  </property>\n</configuration>\n"
                .to_string(),
        )]);
        let error = HadoopConf::load_dir(dir.path()).unwrap_err();
        match &error {
            YarnError::HadoopConf { path, detail } => {
                assert_eq!(path, &dir.path().join("yarn-site.xml"));
                assert!(detail.contains("line 4"), "{detail}");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(error.to_string().contains("yarn-site.xml"));
    }

    #[test]
    fn wrong_root_element_is_an_error() {
        let dir = conf_dir(&[(
            "core-site.xml",
            "<?xml version=\"1.0\"?>\n<conf/>".to_string(),
        )]);
        let error = HadoopConf::load_dir(dir.path()).unwrap_err().to_string();
        assert!(
            error.contains("core-site.xml") && error.contains("line 2"),
            "{error}"
        );
        assert!(error.contains("<conf>"), "{error}");
    }

    #[test]
    fn missing_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        match HadoopConf::load_dir(&missing) {
            Err(YarnError::HadoopConf { path, .. }) => assert_eq!(path, missing),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn environment_picks_the_first_existing_directory() {
        let yarn = conf_dir(&[("yarn-site.xml", site(&[("from", "yarn")]))]);
        let hadoop = conf_dir(&[("yarn-site.xml", site(&[("from", "hadoop")]))]);
        let home = tempfile::tempdir().unwrap();
        fs::create_dir_all(home.path().join("etc/hadoop")).unwrap();
        fs::write(
            home.path().join("etc/hadoop/core-site.xml"),
            site(&[("from", "home")]),
        )
        .unwrap();
        let missing = home.path().join("missing");

        let env_of = |pairs: Vec<(&'static str, PathBuf)>| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| OsString::from(value))
            }
        };
        let all = env_of(vec![
            ("YARN_CONF_DIR", missing.clone()),
            ("HADOOP_CONF_DIR", hadoop.path().to_path_buf()),
            ("HADOOP_HOME", home.path().to_path_buf()),
        ]);
        assert_eq!(
            HadoopConf::load_with_env(&all).unwrap().get("from"),
            Some("hadoop")
        );
        let yarn_first = env_of(vec![
            ("YARN_CONF_DIR", yarn.path().to_path_buf()),
            ("HADOOP_CONF_DIR", hadoop.path().to_path_buf()),
        ]);
        assert_eq!(
            HadoopConf::load_with_env(&yarn_first).unwrap().get("from"),
            Some("yarn")
        );
        let home_only = env_of(vec![("HADOOP_HOME", home.path().to_path_buf())]);
        assert_eq!(
            HadoopConf::load_with_env(&home_only).unwrap().get("from"),
            Some("home")
        );
        let nothing = env_of(vec![("HADOOP_CONF_DIR", missing)]);
        let conf = HadoopConf::load_with_env(&nothing).unwrap();
        assert_eq!(conf.source_dir(), None);
        assert_eq!(conf.get("from"), None);
    }

    #[test]
    fn property_forms_and_skipped_entries() {
        let xml = r#"<?xml version="1.0"?>
<?xml-stylesheet type="text/xsl" href="configuration.xsl"?>
<!-- a comment -->
<configuration>
  <property name="attr.key" value="attr value"/>
  <property><name>  spaced.name  </name><value>  kept  </value><final>true</final>
    <description>ignored</description></property>
  <property><name>entity</name><value>a &amp; b &lt;c&gt;</value></property>
  <property><name>cdata</name><value><![CDATA[x<y]]></value></property>
  <property><name>empty</name><value/></property>
  <property><name>no.value</name></property>
  <property><value>no name</value></property>
  <unknown>ignored</unknown>
</configuration>
"#;
        let dir = conf_dir(&[("core-site.xml", xml.to_string())]);
        let conf = HadoopConf::load_dir(dir.path()).unwrap();
        assert_eq!(conf.get("attr.key"), Some("attr value"));
        assert_eq!(conf.get("spaced.name"), Some("  kept  "));
        assert_eq!(conf.get_trimmed("spaced.name").unwrap(), Some("kept"));
        assert_eq!(conf.get("entity"), Some("a & b <c>"));
        assert_eq!(conf.get("cdata"), Some("x<y"));
        assert_eq!(conf.get("empty"), Some(""));
        assert_eq!(conf.get("no.value"), None);
        assert_eq!(conf.properties.len(), 5);
    }

    #[test]
    fn xinclude_follows_relative_files_and_fallbacks() {
        let main = r#"<configuration xmlns:xi="http://www.w3.org/2001/XInclude">
  <property><name>main</name><value>1</value></property>
  <xi:include href="extra.xml"/>
  <xi:include href="absent.xml"><xi:fallback/></xi:include>
</configuration>"#;
        let dir = conf_dir(&[
            ("yarn-site.xml", main.to_string()),
            ("extra.xml", site(&[("extra", "2")])),
        ]);
        let conf = HadoopConf::load_dir(dir.path()).unwrap();
        assert_eq!(conf.get("main"), Some("1"));
        assert_eq!(conf.get("extra"), Some("2"));
        assert_eq!(
            conf.source_of("extra"),
            Some(dir.path().join("extra.xml").as_path())
        );

        let broken = r#"<configuration xmlns:xi="http://www.w3.org/2001/XInclude">
  <xi:include href="absent.xml"/>
</configuration>"#;
        let dir = conf_dir(&[("yarn-site.xml", broken.to_string())]);
        let error = HadoopConf::load_dir(dir.path()).unwrap_err().to_string();
        assert!(
            error.contains("absent.xml") && error.contains("line 2"),
            "{error}"
        );

        let cycle = r#"<configuration xmlns:xi="http://www.w3.org/2001/XInclude">
  <xi:include href="yarn-site.xml"/>
</configuration>"#;
        let dir = conf_dir(&[("yarn-site.xml", cycle.to_string())]);
        let error = HadoopConf::load_dir(dir.path()).unwrap_err().to_string();
        assert!(error.contains("nested"), "{error}");
    }

    #[test]
    fn variable_expansion() {
        let mut conf = HadoopConf::empty();
        conf.set("base", "/data");
        conf.set("dir", "${base}/yarn");
        conf.set("nested", "${dir}/logs and ${base}");
        conf.set("inner.first", "${dir${suffix}}");
        conf.set("suffix", "");
        conf.set("unbound", "${nope}/x ${base}");
        conf.set("self", "a${self}");
        conf.set("env", "${env.PATH}");
        conf.set(
            "env.fallback",
            "${env.WEIR_TEST_SURELY_UNSET_VAR:-fallback}",
        );
        conf.set("env.dash", "${env.WEIR_TEST_SURELY_UNSET_VAR-dash}");
        conf.set("literal", "$ {base} ${} ${a b}");
        assert_eq!(conf.get("dir"), Some("/data/yarn"));
        assert_eq!(conf.get("nested"), Some("/data/yarn/logs and /data"));
        assert_eq!(conf.get("inner.first"), Some("/data/yarn"));
        // Hadoop stops at the first unbound reference.
        assert_eq!(conf.get("unbound"), Some("${nope}/x ${base}"));
        assert_eq!(conf.get("self"), Some("a${self}"));
        assert_eq!(conf.get("env"), std::env::var("PATH").ok().as_deref());
        assert_eq!(conf.get("env.fallback"), Some("fallback"));
        assert_eq!(conf.get("env.dash"), Some("dash"));
        assert_eq!(conf.get("literal"), Some("$ {base} ${} ${a b}"));
        // A later set re-expands the keys that refer to it.
        conf.set("base", "/srv");
        assert_eq!(conf.get("nested"), Some("/srv/yarn/logs and /srv"));
    }

    #[test]
    fn substitution_cycles_are_errors_when_read() {
        let dir = conf_dir(&[(
            "core-site.xml",
            site(&[("a", "${b}"), ("b", "x${a}"), ("fine", "ok")]),
        )]);
        let conf = HadoopConf::load_dir(dir.path()).unwrap();
        assert_eq!(conf.get("fine"), Some("ok"));
        assert_eq!(conf.get("a"), Some("${b}"));
        match conf.get_checked("a") {
            Err(YarnError::ConfigValue { key, detail }) => {
                assert_eq!(key, "a");
                assert!(detail.contains("substitutions"), "{detail}");
                assert!(detail.contains("core-site.xml"), "{detail}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn typed_accessors() {
        let mut conf = HadoopConf::empty();
        conf.set("n", " 1024 ");
        conf.set("bad", "10k");
        conf.set("flag", "TRUE");
        assert_eq!(conf.get_i64("n").unwrap(), Some(1024));
        assert_eq!(conf.get_i64("absent").unwrap(), None);
        assert!(
            conf.get_i64("bad")
                .unwrap_err()
                .to_string()
                .contains("'10k'")
        );
        assert!(conf.get_bool("flag", false).unwrap());
        assert!(conf.get_bool("absent", true).unwrap());
        conf.set(DEPRECATED_DEFAULT_FS_KEY, "hdfs://old:9000");
        assert_eq!(conf.default_fs(), "hdfs://old:9000");
        conf.set(DEFAULT_FS_KEY, "hdfs://new");
        assert_eq!(conf.default_fs(), "hdfs://new");
    }
}
