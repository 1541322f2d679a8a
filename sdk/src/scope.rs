//! Where a stored name is unique, as AWS has it: most resources (queues,
//! tables, topics) are unique per account and region, S3 bucket names per
//! partition. Every key a plugin reads or writes through [`crate::kv`] (and so
//! through [`crate::table`]) is put under the scope of the call, so two
//! accounts or two regions never see each other's data: isolation is one
//! rule here, not one in every plugin.
//!
//! A request's scope comes from its context (the account and region the host
//! derived from its credentials) and the service's [`ScopeKind`]; a timer
//! fires in the scope that set it. [`with`] runs code in another scope, for
//! the rare call that must reach a resource named by an ARN of another
//! region or account.

use std::cell::RefCell;

use crate::keys::Key;

/// How a service's names are scoped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ScopeKind {
    /// Per account and region (SQS, SNS, DynamoDB, most services).
    #[default]
    Regional,
    /// Per partition: every account and region shares the names (S3 buckets).
    Partition,
}

/// A scope: where a stored name is unique.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// One account in one region.
    Regional {
        /// 12-digit account id.
        account: String,
        /// Region name, e.g. `us-east-1`.
        region: String,
    },
    /// The whole `aws` partition.
    Partition,
}

/// First byte of a key under a regional scope.
const REGIONAL: u8 = 0xFF;
/// First byte of a key under the partition scope.
const PARTITION: u8 = 0xFE;
/// First byte of the sdk's own bookkeeping keys, outside every scope.
pub(crate) const SDK_KEYS: u8 = 0xFD;

/// The account every call runs as when it names none (unit tests).
pub const DEFAULT_ACCOUNT: &str = "000000000000";
/// The region every call runs in when it names none (unit tests).
pub const DEFAULT_REGION: &str = "us-east-1";

impl Scope {
    /// A regional scope.
    pub fn regional(account: &str, region: &str) -> Self {
        Scope::Regional {
            account: account.to_string(),
            region: region.to_string(),
        }
    }

    /// The scope of a call with this `account` and `region` for a service of `kind`.
    pub fn of(kind: ScopeKind, account: &str, region: &str) -> Self {
        match kind {
            ScopeKind::Regional => Scope::regional(account, region),
            ScopeKind::Partition => Scope::Partition,
        }
    }

    /// The bytes every key of this scope starts with.
    pub fn prefix(&self) -> Vec<u8> {
        match self {
            Scope::Regional { account, region } => {
                let mut p = vec![REGIONAL];
                p.extend_from_slice(Key::new().str(account).str(region).as_bytes());
                p
            }
            Scope::Partition => {
                let mut p = vec![PARTITION];
                p.extend_from_slice(Key::new().str("aws").as_bytes());
                p
            }
        }
    }

    /// Encodes the scope with a payload (timers carry their scope).
    pub(crate) fn wrap(&self, payload: &[u8]) -> Vec<u8> {
        let mut out = TIMER_MAGIC.to_vec();
        let prefix = self.prefix();
        out.extend_from_slice(&(prefix.len() as u32).to_be_bytes());
        out.extend_from_slice(&prefix);
        out.extend_from_slice(payload);
        out
    }

    /// The scope and payload of [`Scope::wrap`]'s output; `None` for a
    /// payload stored before timers carried their scope.
    pub(crate) fn unwrap(data: &[u8]) -> Option<(Scope, &[u8])> {
        let rest = data.strip_prefix(TIMER_MAGIC)?;
        let len = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        let prefix = rest.get(4..4 + len)?;
        let scope = Scope::from_prefix(prefix)?;
        Some((scope, &rest[4 + len..]))
    }

    fn from_prefix(prefix: &[u8]) -> Option<Scope> {
        let (first, rest) = prefix.split_first()?;
        let mut r = crate::keys::KeyReader::new(rest);
        match *first {
            REGIONAL => {
                let account = String::from_utf8(r.bytes()?).ok()?;
                let region = String::from_utf8(r.bytes()?).ok()?;
                Some(Scope::Regional { account, region })
            }
            PARTITION => Some(Scope::Partition),
            _ => None,
        }
    }
}

/// Marks a timer payload that carries its scope.
const TIMER_MAGIC: &[u8] = b"\xFDscope1";

thread_local! {
    /// The scope of the running call and its key prefix.
    static CURRENT: RefCell<Option<(Scope, Vec<u8>)>> = const { RefCell::new(None) };
    /// The account of the running request (also under the partition scope).
    static CALLER: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The account the running request was made by (the default account
/// outside a request): the owner of what it creates under a partition
/// scope, where the scope itself names no account.
pub fn caller_account() -> String {
    CALLER
        .with(|c| c.borrow().clone())
        .unwrap_or_else(|| DEFAULT_ACCOUNT.to_string())
}

/// Runs `f` as a request of `account`.
pub(crate) fn as_caller<R>(account: &str, f: impl FnOnce() -> R) -> R {
    let before = CALLER.with(|c| c.replace(Some(account.to_string())));
    let out = f();
    CALLER.with(|c| *c.borrow_mut() = before);
    out
}

/// The scope of the running call (outside a call: the default account and region).
pub fn current() -> Scope {
    CURRENT.with(|c| {
        c.borrow()
            .as_ref()
            .map(|(s, _)| s.clone())
            .unwrap_or_else(|| Scope::regional(DEFAULT_ACCOUNT, DEFAULT_REGION))
    })
}

/// Runs `f` with the current scope's key prefix.
pub(crate) fn with_prefix<R>(f: impl FnOnce(&[u8]) -> R) -> R {
    CURRENT.with(|c| {
        if let Some((_, p)) = c.borrow().as_ref() {
            return f(p);
        }
        f(&Scope::regional(DEFAULT_ACCOUNT, DEFAULT_REGION).prefix())
    })
}

/// Runs `f` in `scope`, then returns to the scope before.
pub fn with<R>(scope: Scope, f: impl FnOnce() -> R) -> R {
    let prefix = scope.prefix();
    let before = CURRENT.with(|c| c.replace(Some((scope, prefix))));
    let out = f();
    CURRENT.with(|c| *c.borrow_mut() = before);
    out
}

/// `key` under the current scope.
pub(crate) fn scoped(key: &[u8]) -> Vec<u8> {
    with_prefix(|p| {
        let mut k = Vec::with_capacity(p.len() + key.len());
        k.extend_from_slice(p);
        k.extend_from_slice(key);
        k
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_have_distinct_prefixes_that_no_unscoped_key_starts_with() {
        let a = Scope::regional("111111111111", "us-east-1").prefix();
        let b = Scope::regional("222222222222", "us-east-1").prefix();
        let c = Scope::regional("111111111111", "eu-west-1").prefix();
        let p = Scope::Partition.prefix();
        for (x, y) in [(&a, &b), (&a, &c), (&b, &c), (&a, &p)] {
            assert!(!x.starts_with(y) && !y.starts_with(x));
        }
        // Keys written before scopes began with printable names.
        assert!(a[0] > b'~' && p[0] > b'~');
    }

    #[test]
    fn timer_payloads_carry_their_scope() {
        let s = Scope::regional("111111111111", "eu-west-1");
        let wrapped = s.wrap(b"payload");
        assert_eq!(Scope::unwrap(&wrapped), Some((s, &b"payload"[..])));
        assert_eq!(Scope::unwrap(b"{\"legacy\":true}"), None);
        let p = Scope::Partition.wrap(b"");
        assert_eq!(Scope::unwrap(&p), Some((Scope::Partition, &b""[..])));
    }

    #[test]
    fn with_restores_the_scope_before() {
        let outer = current();
        let inner = Scope::regional("222222222222", "ap-south-1");
        let seen = with(inner.clone(), current);
        assert_eq!(seen, inner);
        assert_eq!(current(), outer);
    }
}
