//! The web dashboard: plain HTML, JavaScript and CSS files from `crates/server/assets/`, compiled
//! into the binary (no CDN, nothing fetched from elsewhere) and served at `/` and `/assets/{file}`.
//! The pages need no token to load; every call they make to the API sends the token the user
//! signed in with, and the API checks it as it checks every call.

use axum::extract::Path;
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// Every embedded file: name, media type, bytes.
pub const ASSETS: &[(&str, &str, &[u8])] = &[
    ("app.js", "text/javascript; charset=utf-8", include_bytes!("../assets/app.js")),
    ("style.css", "text/css; charset=utf-8", include_bytes!("../assets/style.css")),
    ("icon.svg", "image/svg+xml", include_bytes!("../assets/icon.svg")),
];

const INDEX: &[u8] = include_bytes!("../assets/index.html");

/// Scripts and styles from this server only, no inline script, no framing.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

fn file(media_type: &'static str, bytes: &'static [u8]) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(media_type));
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// The dashboard's one page.
pub async fn index() -> Response {
    file("text/html; charset=utf-8", INDEX)
}

/// A script or style sheet of the dashboard.
pub async fn asset(Path(name): Path<String>) -> Result<Response, ApiError> {
    ASSETS
        .iter()
        .find(|(file_name, ..)| *file_name == name)
        .map(|(_, media_type, bytes)| file(media_type, bytes))
        .ok_or_else(|| ApiError::not_found(format!("no dashboard file `{name}`")))
}
