//! Where notifications may be sent. In production only `https://` URLs, and never to an
//! address of our own network: a notification endpoint is a URL anyone with the admin role
//! types, and the server POSTs to it, so it must not reach the loopback interface, private
//! networks, link-local addresses (the cloud metadata service at 169.254.169.254 among them)
//! or anything else that is not the public internet. The URL is checked when it is saved, and
//! every address its host resolves to is checked again at each delivery (DNS can change), which
//! then connects to the checked address only and follows no redirect.

use crate::error::{AppError, AppResult};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use url::{Host, Url};

const MAX_URL: usize = 2048;

/// The URL as it is stored, or why it cannot be used.
pub fn check_url(raw: &str, production: bool) -> AppResult<Url> {
    let raw = raw.trim();
    let bad = |message: &str| Err(AppError::invalid("url", message.to_string()));
    if raw.is_empty() {
        return bad("Enter the URL that should receive notifications, e.g. https://example.com/fleet-alerts.");
    }
    if raw.len() > MAX_URL {
        return bad("That URL is too long (at most 2048 characters).");
    }
    let Ok(url) = Url::parse(raw) else {
        return bad("That is not a URL; it should look like https://example.com/fleet-alerts.");
    };
    match url.scheme() {
        "https" => {}
        "http" if !production => {}
        "http" => return bad("Use an https:// URL: notifications carry your fleet's data."),
        _ => return bad("Use an https:// URL."),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return bad("Leave credentials out of the URL; each notification is signed instead.");
    }
    if url.fragment().is_some() {
        return bad("Leave out the #fragment: it is never sent.");
    }
    let Some(host) = url.host() else {
        return bad("The URL needs a host name.");
    };
    if production {
        let refused = match host {
            Host::Ipv4(ip) => !is_public(IpAddr::V4(ip)),
            Host::Ipv6(ip) => !is_public(IpAddr::V6(ip)),
            Host::Domain(name) => is_internal_name(name),
        };
        if refused {
            return bad("That address is not on the public internet; notifications go only to public hosts.");
        }
    }
    Ok(url)
}

/// Names that always mean this machine or its private network.
fn is_internal_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || !name.contains('.')
        || [".localhost", ".local", ".internal", ".home.arpa", ".lan"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
}

/// Whether `ip` is an address of the public internet (not loopback, private, link-local,
/// shared, documentation, multicast, reserved or unspecified).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        // Shared address space (carrier-grade NAT), 100.64.0.0/10.
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments, 192.0.0.0/24.
        || (a == 192 && b == 0 && c == 0)
        // Benchmarking, 198.18.0.0/15.
        || (a == 198 && (b == 18 || b == 19))
        // Reserved, 240.0.0.0/4.
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // Unique local, fc00::/7 (cloud metadata services live here too).
        || (s[0] & 0xfe00) == 0xfc00
        // Link-local, fe80::/10.
        || (s[0] & 0xffc0) == 0xfe80
        // Documentation, 2001:db8::/32.
        || (s[0] == 0x2001 && s[1] == 0x0db8)
        // NAT64 and IPv4-compatible forms reach IPv4 addresses behind them.
        || (s[0] == 0x0064 && s[1] == 0xff9b)
        || s[..6].iter().all(|x| *x == 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_takes_public_https_urls_only() {
        assert!(check_url("https://hooks.example.com/fleet", true).is_ok());
        for refused in [
            "http://hooks.example.com/fleet",
            "ftp://hooks.example.com/",
            "https://localhost/x",
            "https://app.localhost/x",
            "https://127.0.0.1/x",
            "https://10.1.2.3/x",
            "https://172.16.0.1/x",
            "https://192.168.1.1/x",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/x",
            "https://0.0.0.0/x",
            "https://[::1]/x",
            "https://[fe80::1]/x",
            "https://[fd00:ec2::254]/x",
            "https://[::ffff:127.0.0.1]/x",
            "https://metadata/x",
            "https://db.internal/x",
            "https://user:pw@hooks.example.com/x",
            "",
            "not a url",
        ] {
            assert!(check_url(refused, true).is_err(), "{refused}");
        }
    }

    #[test]
    fn development_also_takes_http_and_local_hosts() {
        assert!(check_url("http://127.0.0.1:9000/hook", false).is_ok());
        assert!(check_url("http://localhost/hook", false).is_ok());
        assert!(check_url("gopher://localhost/hook", false).is_err());
    }

    #[test]
    fn public_addresses_are_told_apart() {
        assert!(is_public("93.184.216.34".parse().expect("ip")));
        assert!(is_public("2606:4700::1111".parse().expect("ip")));
        assert!(!is_public("127.0.0.53".parse().expect("ip")));
        assert!(!is_public("::".parse().expect("ip")));
        assert!(!is_public("64:ff9b::a00:1".parse().expect("ip")));
    }
}
