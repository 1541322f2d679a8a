//! The web console at `GET /_ruststack/`: one page (HTML, CSS and JS in one
//! file, embedded in the binary, no external assets) over the server's own
//! endpoints: plugins (`/_ruststack/plugins`, `/_ruststack/health`), what
//! they store (`/_ruststack/resources`), recent calls (`/_ruststack/calls`)
//! and state snapshots (`/_ruststack/state`).

use axum::response::{IntoResponse, Response};

/// The page.
const PAGE: &str = include_str!("../console/index.html");

/// `GET /_ruststack/`.
pub fn page() -> Response {
    (
        [
            ("content-type", "text/html; charset=utf-8"),
            ("cache-control", "no-store"),
        ],
        PAGE,
    )
        .into_response()
}
