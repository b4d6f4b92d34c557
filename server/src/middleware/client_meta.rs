//! Records the client's IP and user agent for the audit log and sign-in throttling.
//!
//! Behind reverse proxies the socket peer is the nearest proxy, and the client is somewhere in
//! `X-Forwarded-For`. Every proxy *appends* the address it saw, so only the right-most entries
//! were written by proxies we run; everything to their left is whatever the client sent. The
//! client is therefore the first address from the right that is not one of our proxies: a
//! configured number of hops, or the addresses inside configured proxy networks.

use app::ssr::ClientMeta;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// Which proxies in front of us to believe about the client's address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TrustedProxies {
    /// `X-Forwarded-For` is ignored: the socket peer is the client (no proxy).
    #[default]
    None,
    /// This many proxies, each appending to `X-Forwarded-For`, stand between clients and us.
    Hops(usize),
    /// Proxies are the peers inside these networks, however many a request went through.
    Networks(Vec<IpNet>),
}

impl TrustedProxies {
    /// The client's address, given the socket peer and the request's headers. Anything that is
    /// not an IP address where one is expected gives the peer: a proxy always writes addresses,
    /// so garbage there came from the client.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        let chain = forwarded_for(headers);
        match self {
            TrustedProxies::None => peer,
            TrustedProxies::Hops(0) => peer,
            TrustedProxies::Hops(hops) => {
                // The peer is the last hop; it and the proxies before it appended `hops`
                // entries, the first of which (from the right) names the client.
                chain
                    .len()
                    .checked_sub(*hops)
                    .and_then(|i| chain.get(i))
                    .and_then(|entry| parse_ip(entry))
                    .unwrap_or(peer)
            }
            TrustedProxies::Networks(networks) => {
                let trusted = |ip: &IpAddr| networks.iter().any(|n| n.contains(ip));
                if !trusted(&peer) {
                    return peer;
                }
                let mut nearest = peer;
                for entry in chain.iter().rev() {
                    let Some(ip) = parse_ip(entry) else {
                        return peer;
                    };
                    if !trusted(&ip) {
                        return ip;
                    }
                    nearest = ip;
                }
                // Every hop was one of our proxies (a request from inside our network).
                nearest
            }
        }
    }
}

/// Every `X-Forwarded-For` entry, left to right, across repeated headers (which HTTP treats as
/// one comma-joined list).
fn forwarded_for(headers: &HeaderMap) -> Vec<&str> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|v| v.to_str().unwrap_or("").split(','))
        .map(str::trim)
        .collect()
}

/// An address as proxies write it: bare (`203.0.113.7`, `2001:db8::1`) or with a port
/// (`203.0.113.7:4711`, `[2001:db8::1]:4711`).
fn parse_ip(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|a| a.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

pub async fn client_meta(
    State(trust): State<Arc<TrustedProxies>>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let user_agent = req
        .headers()
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let meta = ClientMeta {
        ip: peer
            .map(|peer| trust.client_ip(peer, req.headers()).to_string())
            .unwrap_or_else(|| "unknown".into()),
        user_agent,
        path: req.uri().path().chars().take(300).collect(),
    };
    req.extensions_mut().insert(meta);
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const PEER: &str = "10.0.0.2";

    fn client(trust: &TrustedProxies, xff: &[&str]) -> String {
        let mut headers = HeaderMap::new();
        for v in xff {
            headers.append("x-forwarded-for", HeaderValue::from_str(v).expect("header"));
        }
        trust
            .client_ip(PEER.parse().expect("peer"), &headers)
            .to_string()
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        assert_eq!(client(&TrustedProxies::None, &["203.0.113.7"]), PEER);
        assert_eq!(client(&TrustedProxies::Hops(0), &["203.0.113.7"]), PEER);
    }

    #[test]
    fn hops_count_from_the_right() {
        let one = TrustedProxies::Hops(1);
        assert_eq!(client(&one, &["203.0.113.7"]), "203.0.113.7");
        // The client wrote the left entry; our proxy appended the address it saw.
        assert_eq!(client(&one, &["6.6.6.6, 203.0.113.7"]), "203.0.113.7");
        assert_eq!(client(&one, &["6.6.6.6", "203.0.113.7"]), "203.0.113.7");
        let two = TrustedProxies::Hops(2);
        assert_eq!(
            client(&two, &["6.6.6.6, 203.0.113.7, 10.0.0.9"]),
            "203.0.113.7"
        );
        // Fewer entries than proxies: the chain is not ours, so the peer is all we know.
        assert_eq!(client(&two, &["203.0.113.7"]), PEER);
        assert_eq!(client(&one, &[]), PEER);
    }

    #[test]
    fn anything_but_an_address_falls_back_to_the_peer() {
        let one = TrustedProxies::Hops(1);
        assert_eq!(client(&one, &["<script>alert(1)</script>"]), PEER);
        assert_eq!(client(&one, &["1.2.3.4, unknown"]), PEER);
        assert_eq!(client(&one, &[""]), PEER);
        assert_eq!(client(&one, &["203.0.113.7:4711"]), "203.0.113.7");
        assert_eq!(client(&one, &["[2001:db8::1]:4711"]), "2001:db8::1");
        assert_eq!(client(&one, &["::ffff:203.0.113.7"]), "203.0.113.7");
    }

    #[test]
    fn networks_skip_our_proxies_from_the_right() {
        let ours = TrustedProxies::Networks(vec!["10.0.0.0/8".parse().expect("net")]);
        assert_eq!(
            client(&ours, &["6.6.6.6, 203.0.113.7, 10.1.2.3"]),
            "203.0.113.7"
        );
        assert_eq!(client(&ours, &["10.9.9.9"]), "10.9.9.9");
        assert_eq!(client(&ours, &["6.6.6.6, junk, 10.1.2.3"]), PEER);
        // A peer outside our networks is a client talking to us directly.
        let elsewhere = TrustedProxies::Networks(vec!["192.168.0.0/16".parse().expect("net")]);
        assert_eq!(client(&elsewhere, &["203.0.113.7"]), PEER);
    }
}
