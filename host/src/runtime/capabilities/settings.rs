//! `settings`: what the operator set for this plugin with `--set`.

use crate::runtime::CallState;
use crate::wit::ruststack::plugin::settings::Host;

impl Host for CallState {
    async fn get(&mut self, name: String) -> wasmtime::Result<Option<String>> {
        Ok(self.settings.get(&self.plugin, &name).map(str::to_string))
    }
}
