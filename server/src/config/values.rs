//! Value parsers for settings whose check is more than a type and a range. Clap prefixes each
//! error with the option and its variable (the value name), so these say only what is wanted.

use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};

/// An address to listen on.
pub fn address(raw: &str) -> Result<SocketAddr, String> {
    raw.parse()
        .map_err(|_| "must be an address and port like 127.0.0.1:3000".to_string())
}

/// The public URL, reduced to its origin (what invite links and the cross-origin check use).
pub fn public_url(raw: &str) -> Result<String, String> {
    let parsed = url::Url::parse(raw)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
        .ok_or("must be an http:// or https:// URL like https://fleet.example.com")?;
    Ok(parsed.origin().ascii_serialization())
}

/// A base URL other URLs are appended to, without its trailing slash.
pub fn base_url(raw: &str) -> Result<String, String> {
    url::Url::parse(raw).map_err(|_| {
        "must be a URL like https://api.stripe.com or http://127.0.0.1:12111".to_string()
    })?;
    Ok(raw.trim_end_matches('/').to_string())
}

/// The platform's Connect client id.
pub fn client_id(raw: &str) -> Result<String, String> {
    if raw.starts_with("ca_") && raw.len() <= 255 {
        Ok(raw.to_string())
    } else {
        Err("must be the platform's Connect client id (ca_…)".into())
    }
}

/// `FLEET_TRUSTED_PROXIES`: networks or single addresses, comma-separated. One value rather than
/// clap's delimited list, so an empty entry (a trailing comma) is skipped as it always was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyNetworks(pub Vec<IpNet>);

pub fn proxy_networks(raw: &str) -> Result<ProxyNetworks, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| {
            n.parse::<IpNet>()
                .or_else(|_| n.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    format!(
                        "must list your proxies' networks or addresses, like 10.0.0.0/8,192.0.2.10; '{n}' is neither"
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(ProxyNetworks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_what_the_server_uses() {
        assert_eq!(
            public_url("https://fleet.example.com/app/").as_deref(),
            Ok("https://fleet.example.com")
        );
        assert!(public_url("ftp://fleet.example.com").is_err());
        assert!(public_url("fleet.example.com").is_err());
        assert_eq!(
            base_url("http://127.0.0.1:12111/").as_deref(),
            Ok("http://127.0.0.1:12111")
        );
        assert!(base_url("127.0.0.1:12111").is_err());
    }

    #[test]
    fn proxy_lists_skip_empty_entries_and_name_a_bad_one() {
        assert_eq!(
            proxy_networks("10.0.0.0/8, 192.0.2.10,"),
            Ok(ProxyNetworks(vec![
                "10.0.0.0/8".parse().expect("net"),
                "192.0.2.10/32".parse().expect("net"),
            ]))
        );
        let err = proxy_networks("10.0.0.0/33").expect_err("bad prefix");
        assert!(err.contains("'10.0.0.0/33' is neither"), "{err}");
    }
}
