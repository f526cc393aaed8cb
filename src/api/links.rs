//! The service's own address, for absolute links. QGIS follows the links of OGC API answers
//! exactly as written, and GDAL joins a relative link to the URL it was given (`OAPIF:http://host/`
//! became `//collections`): answers link with absolute URLs (OGC API - Features 7.2, RFC 8288).
//!
//! The address is, in order: `[server] public_url`; `X-Forwarded-Proto` and `X-Forwarded-Host`
//! when `[server] trust_forwarded_headers` (a proxy that overwrites them is in front); the
//! request's `Host` header over plain HTTP.

use axum::{extract::FromRequestParts, http::HeaderMap, http::request::Parts};

use super::AppState;

/// `scheme://host[:port]` without a trailing slash; join with paths that start with `/`.
#[derive(Clone, Debug)]
pub struct BaseUrl(pub String);

impl BaseUrl {
    /// `path` (starting with `/`) as an absolute URL.
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }
}

impl FromRequestParts<AppState> for BaseUrl {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<BaseUrl, Self::Rejection> {
        let project = &state.config.project;
        Ok(BaseUrl(base_url(project.public_url.as_deref(), project.trust_forwarded_headers, &parts.headers)))
    }
}

/// The address from the configuration or the headers (see the module).
fn base_url(configured: Option<&str>, trust_forwarded: bool, headers: &HeaderMap) -> String {
    if let Some(url) = configured {
        return url.to_string();
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(|v| v.split(',').next().unwrap_or_default().trim());
    let forwarded = trust_forwarded.then(|| (header("x-forwarded-proto"), header("x-forwarded-host")));
    let (scheme, host) = match forwarded {
        Some((Some(proto @ ("http" | "https")), Some(host))) if is_host(host) => (proto, host),
        _ => ("http", header("host").filter(|h| is_host(h)).unwrap_or("localhost")),
    };
    format!("{scheme}://{host}")
}

/// A host name or address with an optional port: nothing a client could use to make a link
/// point at a path or another URL.
fn is_host(text: &str) -> bool {
    !text.is_empty() && text.len() <= 255 && text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '_'))
}

/// The URI with runs of slashes in its path made one (`//collections` from a client that joined
/// `http://host/` and `/collections`), or `None` when there are none.
pub fn collapse_slashes(uri: &axum::http::Uri) -> Option<axum::http::Uri> {
    let path = uri.path();
    if !path.contains("//") {
        return None;
    }
    let mut collapsed = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && collapsed.ends_with('/')) {
            collapsed.push(c);
        }
    }
    let query = uri.query().map_or(String::new(), |q| format!("?{q}"));
    format!("{collapsed}{query}").parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (axum::http::HeaderName::from_static(k), v.parse().unwrap())).collect()
    }

    #[test]
    fn the_configured_address_wins_then_trusted_proxies_then_the_host() {
        let h = headers(&[("host", "10.0.0.5:8080"), ("x-forwarded-proto", "https"), ("x-forwarded-host", "bomiljo.oslo.kommune.no")]);
        assert_eq!(base_url(Some("https://kart.oslo.kommune.no/bomiljo"), true, &h), "https://kart.oslo.kommune.no/bomiljo");
        assert_eq!(base_url(None, true, &h), "https://bomiljo.oslo.kommune.no");
        assert_eq!(base_url(None, false, &h), "http://10.0.0.5:8080");
    }

    #[test]
    fn runs_of_slashes_become_one_and_the_query_stays() {
        let uri: axum::http::Uri = "//collections//delbydeler/items?bbox=1,2,3,4&f=a//b".parse().unwrap();
        assert_eq!(collapse_slashes(&uri).unwrap().to_string(), "/collections/delbydeler/items?bbox=1,2,3,4&f=a//b");
        assert!(collapse_slashes(&"/collections".parse().unwrap()).is_none());
    }

    #[test]
    fn a_host_header_that_is_not_a_host_is_not_echoed() {
        assert_eq!(base_url(None, false, &headers(&[("host", "evil.example/phish?")])), "http://localhost");
        assert_eq!(base_url(None, true, &headers(&[("host", "a:1"), ("x-forwarded-proto", "javascript"), ("x-forwarded-host", "x")])), "http://a:1");
    }
}
