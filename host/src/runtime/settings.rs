//! Plugin settings given on the command line (`--set <plugin>.<name>=<value>`):
//! parsed once at start-up, checked against what each plugin declares when it
//! loads (a misspelt name stops the server instead of being ignored), and read
//! by plugins through the `settings` import.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Result, bail};

use crate::wit::Description;

/// Every setting given, by plugin name, then setting name.
#[derive(Debug, Default)]
pub struct Settings {
    by_plugin: HashMap<String, BTreeMap<String, String>>,
}

impl Settings {
    /// Parses `<plugin>.<name>=<value>` items; the last of repeated ones wins.
    pub fn parse(items: &[String]) -> Result<Self> {
        let mut by_plugin: HashMap<String, BTreeMap<String, String>> = HashMap::new();
        for item in items {
            let parsed = item.split_once('=').and_then(|(path, value)| {
                let (plugin, name) = path.split_once('.')?;
                (!plugin.is_empty() && !name.is_empty()).then_some((plugin, name, value))
            });
            let Some((plugin, name, value)) = parsed else {
                bail!("setting {item:?} is not <plugin>.<name>=<value>");
            };
            by_plugin
                .entry(plugin.to_string())
                .or_default()
                .insert(name.to_string(), value.to_string());
        }
        Ok(Self { by_plugin })
    }

    /// The value given for `plugin`'s setting `name`.
    pub fn get(&self, plugin: &str, name: &str) -> Option<&str> {
        self.by_plugin.get(plugin)?.get(name).map(String::as_str)
    }

    /// Fails when a setting given for this plugin is not one it declares.
    pub fn check(&self, description: &Description) -> Result<()> {
        let Some(given) = self.by_plugin.get(&description.name) else {
            return Ok(());
        };
        for name in given.keys() {
            if !description.settings.iter().any(|s| s.name == *name) {
                let declared: Vec<&str> = description
                    .settings
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect();
                bail!(
                    "plugin {} has no setting {name:?} (it has {})",
                    description.name,
                    if declared.is_empty() {
                        "none".to_string()
                    } else {
                        declared.join(", ")
                    }
                );
            }
        }
        Ok(())
    }

    /// Fails when a setting names a plugin that is not among `loaded`.
    pub fn check_plugins<'a>(
        &self,
        loaded: impl IntoIterator<Item = &'a str> + Clone,
    ) -> Result<()> {
        for plugin in self.by_plugin.keys() {
            if !loaded.clone().into_iter().any(|l| l == plugin) {
                bail!("a setting names plugin {plugin:?}, which is not loaded");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wit::ruststack::plugin::types::{Protocol, Setting};

    fn description(settings: &[&str]) -> Description {
        Description {
            name: "dynamodb".into(),
            version: "1".into(),
            protocol: Protocol::Json,
            matchers: Vec::new(),
            fallback: false,
            max_inline_body: 0,
            body_limit: None,
            settings: settings
                .iter()
                .map(|n| Setting {
                    name: n.to_string(),
                    about: String::new(),
                })
                .collect(),
            operations: Vec::new(),
        }
    }

    #[test]
    fn parses_checks_and_reads_settings() {
        let s = Settings::parse(&[
            "dynamodb.ttl-sweep-seconds=5".into(),
            "dynamodb.ttl-sweep-seconds=1".into(),
            "sqs.x=a=b".into(),
        ])
        .unwrap();
        assert_eq!(s.get("dynamodb", "ttl-sweep-seconds"), Some("1"));
        assert_eq!(s.get("sqs", "x"), Some("a=b"));
        assert_eq!(s.get("s3", "x"), None);
        s.check(&description(&["ttl-sweep-seconds"])).unwrap();
        let e = s.check(&description(&["other"])).unwrap_err().to_string();
        assert!(
            e.contains("no setting \"ttl-sweep-seconds\" (it has other)"),
            "{e}"
        );
        let e = s.check_plugins(["dynamodb"]).unwrap_err().to_string();
        assert!(e.contains("\"sqs\""), "{e}");
        s.check_plugins(["dynamodb", "sqs"]).unwrap();
    }

    #[test]
    fn refuses_malformed_settings() {
        for bad in ["novalue", "noplugin=1", ".name=1", "plugin.=1"] {
            assert!(Settings::parse(&[bad.into()]).is_err(), "{bad}");
        }
    }
}
