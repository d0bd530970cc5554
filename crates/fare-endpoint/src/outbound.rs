//! Where the app may send a request that an API caller names (the model panel's "use an
//! endpoint"), and which of those requests carry the user's API key.
//!
//! An endpoint typed into the app is someone's input, not the user's configuration: whoever
//! holds the API token (or a page that got script into the UI) could name any URL. So:
//!
//! - the API key (`$OPENAI_API_KEY`) goes only to endpoints the user configured outside the
//!   API, on the command line (`fare-lens serve --endpoint URL`) or in the environment
//!   ([`ENDPOINTS_VAR`]); any other endpoint is called without a key;
//! - link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10, `metadata.*`,
//!   100.100.100.200, fd00:ec2::254) are refused unless configured: they hand out the machine's
//!   cloud credentials;
//! - redirects are never followed (see the clients), and an error answer's body is shown only
//!   as the message of an OpenAI-style error JSON, never as raw text.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;

use reqwest::Url;

/// The environment variable listing configured endpoints (their base URLs, separated by
/// commas or blanks).
pub const ENDPOINTS_VAR: &str = "FARE_LENS_ENDPOINTS";

/// The endpoints the user configured outside the API, and the API key they get.
#[derive(Clone, Default)]
pub struct ConfiguredEndpoints {
    urls: Vec<Url>,
    key: Option<Arc<str>>,
}

impl std::fmt::Debug for ConfiguredEndpoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfiguredEndpoints")
            .field(
                "urls",
                &self.urls.iter().map(Url::as_str).collect::<Vec<_>>(),
            )
            .field("key", &self.key.as_ref().map(|_| "(set)"))
            .finish()
    }
}

impl ConfiguredEndpoints {
    /// These base URLs (each `http(s)://host[:port]/path`, named in errors by their text),
    /// without a key.
    pub fn new<S: AsRef<str>>(urls: &[S]) -> Result<ConfiguredEndpoints, String> {
        let urls = urls
            .iter()
            .map(|u| {
                let text = u.as_ref();
                base_url(text)
                    .ok_or_else(|| format!("`{text}` is not an endpoint URL (http://host:port/v1)"))
            })
            .collect::<Result<_, _>>()?;
        Ok(ConfiguredEndpoints { urls, key: None })
    }

    /// The same endpoints, getting `key` (an empty one is none).
    #[must_use]
    pub fn with_key(mut self, key: Option<&str>) -> ConfiguredEndpoints {
        self.key = key.filter(|k| !k.is_empty()).map(Arc::from);
        self
    }

    /// These, those listed in [`ENDPOINTS_VAR`] (an unreadable entry there is an error naming
    /// the variable), and `$OPENAI_API_KEY` as their key.
    pub fn with_environment<S: AsRef<str>>(urls: &[S]) -> Result<ConfiguredEndpoints, String> {
        let mut all = ConfiguredEndpoints::new(urls)?;
        if let Ok(listed) = std::env::var(ENDPOINTS_VAR) {
            let more = listed
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>();
            let more =
                ConfiguredEndpoints::new(&more).map_err(|e| format!("{ENDPOINTS_VAR}: {e}"))?;
            all.urls.extend(more.urls);
        }
        let key = std::env::var(crate::client::DEFAULT_API_KEY_ENV).ok();
        Ok(all.with_key(key.as_deref()))
    }

    /// Whether `url` is one of them (scheme, host, port and path alike; a trailing `/` aside).
    pub fn contains(&self, url: &str) -> bool {
        base_url(url).is_some_and(|u| self.urls.contains(&u))
    }

    /// The key to send to `url`: theirs when `url` is one of them, else none.
    pub fn key_for(&self, url: &str) -> Option<&str> {
        self.key.as_deref().filter(|_| self.contains(url))
    }

    /// Why the app may not call `url`, if it may not: it is no endpoint URL, or it names a
    /// link-local or metadata address without being configured. Looks at the URL only (no name
    /// lookup): [`ConfiguredEndpoints::check_resolved`] does that.
    pub fn check(&self, url: &str) -> Result<(), String> {
        let parsed = base_url(url)
            .ok_or_else(|| format!("`{url}` is not an endpoint URL (http://host:port/v1)"))?;
        if self.urls.contains(&parsed) {
            return Ok(());
        }
        let host = bare_host(&parsed);
        let forbidden = match host.parse::<IpAddr>() {
            Ok(ip) => forbidden_address(ip),
            Err(_) => metadata_name(host),
        };
        if forbidden {
            return Err(refusal(url));
        }
        Ok(())
    }

    /// [`ConfiguredEndpoints::check`], and then every address the URL's host name resolves to
    /// (a name can point at a metadata address too).
    pub fn check_resolved(&self, url: &str) -> Result<(), String> {
        self.check(url)?;
        if self.contains(url) {
            return Ok(());
        }
        let Some(parsed) = base_url(url) else {
            return Ok(());
        };
        let Some(port) = parsed.port_or_known_default() else {
            return Ok(());
        };
        let host = bare_host(&parsed);
        let addresses: Vec<SocketAddr> = match (host, port).to_socket_addrs() {
            Ok(found) => found.collect(),
            // The request itself will say that the name does not resolve.
            Err(_) => return Ok(()),
        };
        if addresses.iter().any(|a| forbidden_address(a.ip())) {
            return Err(refusal(url));
        }
        Ok(())
    }
}

fn refusal(url: &str) -> String {
    format!(
        "{url} is a link-local or cloud metadata address, which this app does not call unless \
         it is configured (fare-lens serve --endpoint, or {ENDPOINTS_VAR})"
    )
}

/// The URL as compared: parsed, without a trailing `/`; `None` when it is no http(s) URL with a
/// host.
fn base_url(text: &str) -> Option<Url> {
    let text = text.trim().trim_end_matches('/');
    let url = Url::parse(text).ok()?;
    let usable = matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && url.username().is_empty()
        && url.password().is_none();
    usable.then_some(url)
}

/// The host without an IPv6 address's brackets.
fn bare_host(url: &Url) -> &str {
    url.host_str()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']')
}

/// Names that cloud providers resolve to their metadata service.
fn metadata_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "metadata"
        || name.starts_with("metadata.")
        || name == "instance-data"
        || name.starts_with("instance-data.")
}

/// Link-local addresses (where cloud metadata services answer) and the known metadata
/// addresses outside that range.
pub fn forbidden_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return forbidden_v4(v4);
            }
            let link_local = (v6.segments()[0] & 0xffc0) == 0xfe80;
            let aws = v6 == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254);
            link_local || aws
        }
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    // 100.100.100.200: Alibaba Cloud's metadata service.
    ip.is_link_local() || ip == Ipv4Addr::new(100, 100, 100, 200)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn link_local_and_metadata_addresses_are_refused_unless_configured() {
        let none = ConfiguredEndpoints::default();
        for url in [
            "http://169.254.169.254/latest",
            "http://169.254.0.1:8080/v1",
            "http://[fe80::1]/v1",
            "http://[fd00:ec2::254]/v1",
            "http://[::ffff:169.254.169.254]/v1",
            "http://100.100.100.200/v1",
            "http://metadata.google.internal/computeMetadata/v1",
            "http://METADATA/v1",
        ] {
            let e = none.check(url).expect_err(url);
            assert!(e.contains("metadata"), "{e}");
        }
        for url in [
            "http://127.0.0.1:8000/v1",
            "https://api.example.com/v1",
            "http://10.0.0.5:8000/v1",
            "http://[::1]:9000/v1",
        ] {
            none.check(url).expect(url);
        }
        let configured = ConfiguredEndpoints::new(&["http://169.254.10.10:8000/v1/"]).unwrap();
        configured
            .check("http://169.254.10.10:8000/v1")
            .expect("configured");
        assert!(configured.check("http://169.254.10.10:8001/v1").is_err());
    }

    #[test]
    fn configured_endpoints_match_by_scheme_host_port_and_path() {
        let configured =
            ConfiguredEndpoints::new(&["https://API.example.com/v1", "http://gpu:8000/v1"])
                .unwrap();
        assert!(configured.contains("https://api.example.com/v1/"));
        assert!(configured.contains("https://api.example.com:443/v1"));
        assert!(!configured.contains("http://api.example.com/v1"));
        assert!(!configured.contains("https://api.example.com/v2"));
        assert!(!configured.contains("https://api.example.com.evil.test/v1"));
        assert!(!configured.contains("https://user@api.example.com/v1"));
        assert!(configured.contains("http://gpu:8000/v1"));
        assert!(!configured.contains("http://gpu:8001/v1"));
        let keyed = configured.with_key(Some("sk-x"));
        assert_eq!(keyed.key_for("http://gpu:8000/v1/"), Some("sk-x"));
        assert_eq!(keyed.key_for("http://gpu:8001/v1"), None);
        assert!(!format!("{keyed:?}").contains("sk-x"));
        let e = ConfiguredEndpoints::new(&["gpu:8000"]).unwrap_err();
        assert!(e.contains("gpu:8000"), "{e}");
    }

    #[test]
    fn a_name_that_resolves_to_a_link_local_address_is_refused() {
        // `localhost` resolves on every machine; a literal link-local address stands in for a
        // name that resolves to one (no test may depend on outside DNS).
        let none = ConfiguredEndpoints::default();
        none.check_resolved("http://localhost:9/v1")
            .expect("loopback");
        assert!(none.check_resolved("http://169.254.169.254:80/v1").is_err());
    }
}
