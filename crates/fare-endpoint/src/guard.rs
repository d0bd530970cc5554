//! Who may call a server this program runs on the user's machine (`fare-lens serve`, and
//! `serve-model`, the model worker): the checks both make before a request reaches anything.
//!
//! Loopback is not private. Other users of a shared GPU box reach it, so a secret (a bearer
//! token) is always required; and any web page the user visits reaches it by DNS rebinding
//! (the page's own name resolves to 127.0.0.1), so the `Host` must name this server, and a
//! writing request from a page of another origin is refused.

use std::net::{IpAddr, SocketAddr};

use axum::http::{HeaderMap, header};

/// The names a request's `Host` may give a server bound to one address.
#[derive(Debug, Clone)]
pub struct Hosts {
    bound: SocketAddr,
    /// Names given by the person (`--allow-host`), lowercase, without a trailing dot.
    names: Vec<String>,
}

impl Hosts {
    /// A server listening on `bound` that also answers to `names`.
    pub fn new(bound: SocketAddr, names: &[String]) -> Hosts {
        Hosts {
            bound,
            names: names.iter().map(|n| normal(n)).collect(),
        }
    }

    /// Whether `host` (a `Host` header: `name`, `name:port`, `[v6]:port`) names this server:
    /// `localhost` or a loopback address (any port: an SSH tunnel may land on another one),
    /// the bound address with its port, a name given, or anything when the server listens on
    /// every interface (it cannot know its names; the token guards it).
    pub fn allow(&self, host: &str) -> bool {
        let Some((name, port)) = split_host(host) else {
            return false;
        };
        let name = normal(name);
        let ip = name.parse::<IpAddr>().ok();
        name == "localhost"
            || ip.is_some_and(|ip| ip.is_loopback())
            || self.bound.ip().is_unspecified()
            || ip.is_some_and(|ip| ip == self.bound.ip() && port.unwrap_or(80) == self.bound.port())
            || self.names.contains(&name)
    }
}

fn normal(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// `name[:port]` or `[v6][:port]` → the name (without brackets) and the port; `None` when it
/// is neither.
fn split_host(host: &str) -> Option<(&str, Option<u16>)> {
    let (name, port) = if let Some(rest) = host.strip_prefix('[') {
        let (v6, after) = rest.split_once(']')?;
        match after {
            "" => (v6, None),
            _ => (v6, Some(after.strip_prefix(':')?)),
        }
    } else {
        match host.rsplit_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        }
    };
    let port = match port {
        Some(p) => Some(p.parse::<u16>().ok()?),
        None => None,
    };
    (!name.is_empty()).then_some((name, port))
}

/// A request's `Host` header, or "" without one.
pub fn host(headers: &HeaderMap) -> &str {
    headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// Whether a request comes from a page of another origin than `http://{host}`: its `Origin`
/// names another (or is `null`), or the browser says `Sec-Fetch-Site: cross-site`.
pub fn from_other_site(headers: &HeaderMap, host: &str) -> bool {
    let cross_site = headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"));
    let other_origin = headers.get(header::ORIGIN).is_some_and(|origin| {
        !origin
            .to_str()
            .is_ok_and(|o| o.eq_ignore_ascii_case(&format!("http://{host}")))
    });
    cross_site || other_origin
}

/// Whether the request carries `Authorization: Bearer SECRET`, compared without stopping at
/// the first difference (so timing says nothing of the secret).
pub fn bearer_is(headers: &HeaderMap, secret: &str) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|given| same(given.as_bytes(), secret.as_bytes()))
}

/// A fresh random secret: 32 hex digits from the operating system's generator.
pub fn random_secret() -> std::io::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(bytes.iter().fold(String::with_capacity(32), |mut hex, b| {
        use std::fmt::Write;
        let _ = write!(hex, "{b:02x}");
        hex
    }))
}

fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(bound: &str, names: &[&str]) -> Hosts {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        Hosts::new(bound.parse().expect("an address"), &names)
    }

    #[test]
    fn host_headers_split_into_name_and_port() {
        assert_eq!(
            split_host("localhost:7878"),
            Some(("localhost", Some(7878)))
        );
        assert_eq!(split_host("example.org"), Some(("example.org", None)));
        assert_eq!(split_host("[::1]:80"), Some(("::1", Some(80))));
        assert_eq!(split_host("[::1]"), Some(("::1", None)));
        for bad in ["", ":80", "host:port", "[::1]x", "[::1", "h:70000"] {
            assert_eq!(split_host(bad), None, "{bad}");
        }
    }

    #[test]
    fn on_loopback_only_loopback_names_pass() {
        let h = hosts("127.0.0.1:7878", &[]);
        for ok in [
            "127.0.0.1:7878",
            "localhost:7878",
            "LOCALHOST.:7878",
            // An SSH tunnel may land on another local port.
            "localhost:9000",
            "[::1]:7878",
            "127.0.0.2:7878",
        ] {
            assert!(h.allow(ok), "{ok}");
        }
        // What a DNS-rebinding page sends: its own name, resolved to 127.0.0.1.
        for refused in [
            "evil.example:7878",
            "localhost.evil.example:7878",
            "127.0.0.1.evil.example:7878",
            "10.0.0.5:7878",
            "",
        ] {
            assert!(!h.allow(refused), "{refused}");
        }
    }

    #[test]
    fn a_bound_address_passes_with_its_port_and_named_hosts_pass() {
        let h = hosts("10.0.0.5:7878", &["GPU-box."]);
        assert!(h.allow("10.0.0.5:7878"));
        assert!(!h.allow("10.0.0.5:7879"));
        assert!(h.allow("gpu-box:7878"));
        assert!(h.allow("GPU-box:7878"));
        assert!(!h.allow("other-box:7878"));
        // Every interface: the server cannot know its names; the token guards it.
        assert!(hosts("0.0.0.0:7878", &[]).allow("anything.example:7878"));
    }

    #[test]
    fn other_sites_are_told_apart_from_the_page_itself() {
        let with = |pairs: &[(&'static str, &str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, v.parse().expect("a header value"));
            }
            h
        };
        let host = "127.0.0.1:7878";
        assert!(!from_other_site(&with(&[]), host));
        assert!(!from_other_site(
            &with(&[("origin", "http://127.0.0.1:7878")]),
            host
        ));
        assert!(from_other_site(
            &with(&[("origin", "http://evil.example")]),
            host
        ));
        assert!(from_other_site(&with(&[("origin", "null")]), host));
        assert!(from_other_site(
            &with(&[("origin", "https://127.0.0.1:7878")]),
            host
        ));
        assert!(from_other_site(
            &with(&[("sec-fetch-site", "cross-site")]),
            host
        ));
        assert!(!from_other_site(
            &with(&[("sec-fetch-site", "same-origin")]),
            host
        ));
        assert!(bearer_is(
            &with(&[("authorization", "Bearer s3cret")]),
            "s3cret"
        ));
        assert!(!bearer_is(
            &with(&[("authorization", "Bearer s3cre")]),
            "s3cret"
        ));
        assert!(!bearer_is(&with(&[("authorization", "s3cret")]), "s3cret"));
        assert!(!bearer_is(&with(&[]), "s3cret"));
    }
}
