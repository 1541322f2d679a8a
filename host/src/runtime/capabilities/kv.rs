//! `kv`: the plugin's ordered namespace, served from the call's transaction.

use crate::runtime::CallState;
use crate::runtime::trap;
use crate::wit::ruststack::plugin::kv::{Entry, Host};

impl Host for CallState {
    async fn get(&mut self, key: Vec<u8>) -> wasmtime::Result<Option<Vec<u8>>> {
        self.txn()?.get(&key).map_err(trap)
    }

    async fn put(&mut self, key: Vec<u8>, value: Vec<u8>) -> wasmtime::Result<()> {
        self.txn()?.put(key, value);
        Ok(())
    }

    async fn delete(&mut self, key: Vec<u8>) -> wasmtime::Result<bool> {
        self.txn()?.delete(key).map_err(trap)
    }

    async fn scan(
        &mut self,
        start: Vec<u8>,
        end: Option<Vec<u8>>,
        limit: u32,
        reverse: bool,
    ) -> wasmtime::Result<Vec<Entry>> {
        let rows = self
            .txn()?
            .scan(&start, end.as_deref(), limit, reverse)
            .map_err(trap)?;
        Ok(rows
            .into_iter()
            .map(|(key, value)| Entry { key, value })
            .collect())
    }

    async fn compare_and_set(
        &mut self,
        key: Vec<u8>,
        expected: Option<Vec<u8>>,
        new: Option<Vec<u8>>,
    ) -> wasmtime::Result<bool> {
        self.txn()?
            .compare_and_set(key, expected, new)
            .map_err(trap)
    }
}
