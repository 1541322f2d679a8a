//! Settings the operator gives a plugin (`ruststack serve --set
//! <plugin>.<name>=<value>`). A plugin lists the ones it reads in
//! [`Description::settings`](crate::Description) (the host refuses any other
//! at start-up) and reads them during calls, keeping its own default for an
//! absent one. Settings are not available inside `describe`.

use crate::host;

/// The value given for the setting `name`, if any.
pub fn get(name: &str) -> Option<String> {
    host::setting(name)
}
