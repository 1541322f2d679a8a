//! Fault injection: rules that make chosen calls fail or slow down on
//! purpose, to test how clients cope. A rule matches a plugin, an
//! operation, a region and an account (each optional) and, with its
//! probability, answers an AWS error in the caller's protocol and/or adds
//! latency. A faulted call has no side effect: when the operation is known
//! from the request (`X-Amz-Target`, `Action`) the plugin is not called;
//! otherwise (REST APIs such as S3) the plugin runs and its writes are
//! thrown away. Rules come from `--faults FILE` and `/_ruststack/faults`
//! (GET lists, POST adds, DELETE clears).

use std::path::Path;
use std::sync::RwLock;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

/// One rule.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// The plugin's name (`sqs`); any if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    /// The operation (`SendMessage`); any if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// The request's region; any if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The request's account; any if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Chance (0 to 1) that a matching call is faulted.
    #[serde(default = "always")]
    pub probability: f64,
    /// The error to answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<FaultError>,
    /// Milliseconds added before the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
}

fn always() -> f64 {
    1.0
}

/// An AWS error a rule answers.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FaultError {
    /// HTTP status (400 to 599).
    #[serde(default = "server_error")]
    pub status: u16,
    /// AWS error code (`ServiceUnavailable`, `ThrottlingException`, ...).
    pub code: String,
    /// Its message.
    #[serde(default)]
    pub message: String,
}

fn server_error() -> u16 {
    500
}

impl Rule {
    fn check(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.probability) {
            bail!("probability {} is not between 0 and 1", self.probability);
        }
        if self.error.is_none() && self.latency_ms.is_none() {
            bail!("a rule needs an error, a latency_ms or both");
        }
        if let Some(e) = &self.error {
            if !(400..=599).contains(&e.status) {
                bail!("error status {} is not between 400 and 599", e.status);
            }
            if e.code.is_empty() {
                bail!("error code is empty");
            }
        }
        Ok(())
    }

    /// Whether the rule applies to a call; `operation` is `None` while it
    /// is not known (a rule naming an operation then does not apply yet).
    fn matches(&self, call: &Call<'_>, operation: Option<&str>) -> bool {
        let same = |want: &Option<String>, got: Option<&str>| {
            want.as_deref().is_none_or(|w| got == Some(w))
        };
        same(&self.plugin, Some(call.plugin))
            && same(&self.operation, operation)
            && same(&self.region, Some(call.region))
            && same(&self.account, Some(call.account))
    }

    /// Whether this call is the unlucky one.
    fn rolls(&self) -> bool {
        if self.probability >= 1.0 {
            return true;
        }
        let mut b = [0u8; 8];
        getrandom::fill(&mut b).expect("the OS random source failed");
        ((u64::from_le_bytes(b) >> 11) as f64 / (1u64 << 53) as f64) < self.probability
    }
}

/// What a rule does to a call.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fault {
    /// Added latency.
    pub latency: Duration,
    /// The error to answer instead of the plugin's answer.
    pub error: Option<FaultError>,
}

/// Who a call is for.
pub struct Call<'a> {
    /// The plugin serving it.
    pub plugin: &'a str,
    /// The request's region.
    pub region: &'a str,
    /// The request's account.
    pub account: &'a str,
}

/// The rules of one server.
#[derive(Default)]
pub struct Faults {
    rules: RwLock<Vec<Rule>>,
}

impl Faults {
    /// The rules of a `--faults` file (a JSON list of rules, or one rule).
    pub fn from_file(path: &Path) -> Result<Faults> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading fault rules {}", path.display()))?;
        let faults = Faults::default();
        faults
            .add_json(text.as_bytes())
            .with_context(|| format!("fault rules in {}", path.display()))?;
        Ok(faults)
    }

    /// Adds the rules of a JSON document: one rule or a list of them.
    pub fn add_json(&self, json: &[u8]) -> Result<usize> {
        let doc: serde_json::Value = serde_json::from_slice(json).context("not JSON")?;
        let rules: Vec<Rule> = if doc.is_array() {
            serde_json::from_value(doc)
        } else {
            serde_json::from_value(doc).map(|r| vec![r])
        }
        .context("not a fault rule")?;
        for r in &rules {
            r.check()?;
        }
        let n = rules.len();
        self.rules.write().unwrap().extend(rules);
        Ok(n)
    }

    /// Every rule, in the order they are tried.
    pub fn list(&self) -> Vec<Rule> {
        self.rules.read().unwrap().clone()
    }

    /// Removes every rule.
    pub fn clear(&self) {
        self.rules.write().unwrap().clear();
    }

    /// True when there are no rules (the common case, checked first).
    pub fn is_empty(&self) -> bool {
        self.rules.read().unwrap().is_empty()
    }

    /// True when some rule for this call names an operation, which must
    /// then be learnt from the plugin's answer.
    pub fn needs_operation(&self, call: &Call<'_>) -> bool {
        self.rules
            .read()
            .unwrap()
            .iter()
            .any(|r| r.operation.is_some() && r.matches(call, r.operation.as_deref()))
    }

    /// The fault for a call whose operation is `operation` (`None`: not
    /// known yet): the first matching rule that rolls; nothing if none does.
    pub fn pick(&self, call: &Call<'_>, operation: Option<&str>) -> Option<Fault> {
        self.pick_where(call, operation, |_| true)
    }

    /// [`Faults::pick`] among the rules that name an operation: for a call
    /// whose operation was learnt from its answer, after the other rules
    /// were tried before it ran.
    pub fn pick_named(&self, call: &Call<'_>, operation: &str) -> Option<Fault> {
        self.pick_where(call, Some(operation), |r| r.operation.is_some())
    }

    fn pick_where(
        &self,
        call: &Call<'_>,
        operation: Option<&str>,
        also: impl Fn(&Rule) -> bool,
    ) -> Option<Fault> {
        let rules = self.rules.read().unwrap();
        let rule = rules
            .iter()
            .find(|r| also(r) && r.matches(call, operation) && r.rolls())?;
        Some(Fault {
            latency: Duration::from_millis(rule.latency_ms.unwrap_or(0)),
            error: rule.error.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call() -> Call<'static> {
        Call {
            plugin: "sqs",
            region: "us-east-1",
            account: "000000000000",
        }
    }

    #[test]
    fn rules_match_by_each_given_field_and_are_checked() {
        let f = Faults::default();
        f.add_json(
            br#"[{"plugin":"sqs","operation":"SendMessage","error":{"code":"Boom","message":"no"}},
                 {"region":"eu-west-1","latency_ms":5}]"#,
        )
        .unwrap();
        let fault = f.pick(&call(), Some("SendMessage")).unwrap();
        assert_eq!(fault.error.unwrap().status, 500);
        assert_eq!(f.pick(&call(), Some("ReceiveMessage")), None);
        // Unknown operation: the rule waits for it.
        assert_eq!(f.pick(&call(), None), None);
        assert!(f.needs_operation(&call()));
        let eu = Call {
            region: "eu-west-1",
            ..call()
        };
        assert_eq!(
            f.pick(&eu, Some("ListQueues")).unwrap().latency,
            Duration::from_millis(5)
        );
        assert!(f.add_json(br#"{"plugin":"sqs"}"#).is_err());
        assert!(f.add_json(br#"{"latency_ms":1,"probability":2}"#).is_err());
        assert!(f.add_json(br#"{"latency_ms":1,"colour":"red"}"#).is_err());
        assert_eq!(f.list().len(), 2);
        f.clear();
        assert!(f.is_empty());
    }

    #[test]
    fn probability_zero_never_fires() {
        let f = Faults::default();
        f.add_json(br#"{"probability":0,"latency_ms":1}"#).unwrap();
        assert!((0..100).all(|_| f.pick(&call(), Some("X")).is_none()));
    }
}
