//! Sends alert notifications: every little while, takes the deliveries that are due (each under
//! a lease, so of several instances exactly one sends it), POSTs each signed like Stripe signs
//! its webhooks, and records the answer (`app::notifications::ssr::deliveries` decides the next
//! attempt). Sends run at most `concurrency` at once and `per_endpoint` per endpoint, each
//! bounded by `timeout`: a receiver that hangs or fails holds only its own endpoint's slots,
//! and never the others'. It also looks for the conditions noticed by looking (runs of declines,
//! webhook events the queue gave up on) every `look_every`.

use app::notifications::ssr::deliveries::{self, Attempt, Claimed};
use app::notifications::ssr::{url_rules, watch};
use app::ssr::ids::new_id;
use app::ssr::AppState;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// The header our signature travels in: `t=<unix seconds>,v1=<hex HMAC-SHA256>`, as Stripe's.
pub const SIGNATURE_HEADER: &str = "Terminal-Fleet-Signature";

#[derive(Debug, Clone)]
pub struct NotifyConfig {
    /// The first wait before a retry (`FLEET_NOTIFY_BACKOFF_MS`); later waits double.
    pub backoff: Duration,
    /// How long one attempt may take, name resolution included.
    pub timeout: Duration,
    /// How often due deliveries are looked for.
    pub interval: Duration,
    /// Deliveries sent at once by one instance, and to one endpoint.
    pub concurrency: usize,
    pub per_endpoint: usize,
    /// How often runs of declines and failing webhook events are looked for.
    pub look_every: Duration,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            backoff: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
            interval: Duration::from_millis(500),
            concurrency: 16,
            per_endpoint: 2,
            look_every: Duration::from_secs(30),
        }
    }
}

pub fn spawn(state: AppState, config: NotifyConfig) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(state, config))
}

/// Each endpoint's slots, made when first needed and forgotten when nobody holds them.
#[derive(Default)]
struct EndpointSlots(Mutex<HashMap<String, Arc<Semaphore>>>);

impl EndpointSlots {
    fn of(&self, endpoint: &str, per_endpoint: usize) -> Arc<Semaphore> {
        let mut slots = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if slots.len() > 1_000 {
            slots.retain(|_, s| Arc::strong_count(s) > 1);
        }
        slots
            .entry(endpoint.to_string())
            .or_insert_with(|| Arc::new(Semaphore::new(per_endpoint.max(1))))
            .clone()
    }
}

async fn run(state: AppState, config: NotifyConfig) {
    let holder = new_id("notify");
    // Long enough for a resolution and a request that both take the whole timeout.
    let lease = config.timeout * 2 + Duration::from_secs(30);
    let all = Arc::new(Semaphore::new(config.concurrency.max(1)));
    let slots = EndpointSlots::default();
    let mut tick = tokio::time::interval(config.interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut looked: Option<Instant> = None;
    loop {
        tick.tick().await;
        if looked.is_none_or(|at| at.elapsed() >= config.look_every) {
            looked = Some(Instant::now());
            if let Err(e) = watch::look(&state).await {
                tracing::warn!(error = %e, "could not look for declines and failing webhooks");
            }
        }
        let due = match deliveries::due(&state, 200).await {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %e, "could not list due notifications");
                continue;
            }
        };
        for (id, endpoint) in due {
            let Ok(one) = all.clone().try_acquire_owned() else {
                break;
            };
            // An endpoint whose slots are all busy (a slow or hanging receiver) waits for its
            // own; the loop goes on to the other endpoints' deliveries.
            let Ok(own) = slots.of(&endpoint, config.per_endpoint).try_acquire_owned() else {
                continue;
            };
            let claimed = match deliveries::claim(&state, &id, &holder, lease).await {
                Ok(Some(claimed)) => claimed,
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "could not take a notification");
                    continue;
                }
            };
            let (state, holder, config) = (state.clone(), holder.clone(), config.clone());
            tokio::spawn(async move {
                let attempt = send(&claimed, state.settings.production, config.timeout).await;
                if let Err(e) =
                    deliveries::record(&state, &claimed, &holder, &attempt, config.backoff).await
                {
                    tracing::warn!(error = %e, delivery = %claimed.id, "could not record a notification attempt");
                }
                drop((one, own));
            });
        }
    }
}

fn failed(error: impl Into<String>) -> Attempt {
    Attempt {
        status: None,
        error: Some(error.into()),
    }
}

/// The addresses to connect to for `url`, every one checked when `production`.
async fn addresses(url: &url::Url, production: bool) -> Result<Vec<SocketAddr>, String> {
    let port = url.port_or_known_default().ok_or("The URL has no port.")?;
    let found: Vec<SocketAddr> = match url.host() {
        Some(url::Host::Ipv4(ip)) => vec![SocketAddr::new(ip.into(), port)],
        Some(url::Host::Ipv6(ip)) => vec![SocketAddr::new(ip.into(), port)],
        Some(url::Host::Domain(name)) => tokio::net::lookup_host((name, port))
            .await
            .map_err(|_| format!("Could not find the address of {name}."))?
            .collect(),
        None => return Err("The URL has no host.".into()),
    };
    if found.is_empty() {
        return Err("The host has no address.".into());
    }
    if production && found.iter().any(|a| !url_rules::is_public(a.ip())) {
        return Err("The host resolves to an address that is not public; nothing was sent.".into());
    }
    Ok(found)
}

/// One attempt: resolve and check the host, POST the payload signed with the endpoint's
/// secret to the checked addresses only, follow no redirect.
async fn send(delivery: &Claimed, production: bool, timeout: Duration) -> Attempt {
    let Ok(url) = url::Url::parse(&delivery.url) else {
        return failed("The endpoint's URL cannot be read.");
    };
    let started = Instant::now();
    let addrs = match tokio::time::timeout(timeout, addresses(&url, production)).await {
        Ok(Ok(addrs)) => addrs,
        Ok(Err(message)) => return failed(message),
        Err(_) => return failed("Finding the host's address took too long."),
    };
    let mut client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout.saturating_sub(started.elapsed()))
        .user_agent("TerminalFleet-Notifications/1");
    if let Some(url::Host::Domain(name)) = url.host() {
        client = client.resolve_to_addrs(name, &addrs);
    }
    let client = match client.build() {
        Ok(client) => client,
        Err(e) => {
            tracing::error!(error = %e, "could not build the notification client");
            return failed("Could not prepare the request.");
        }
    };
    let timestamp = app::ssr::ids::now_ms() / 1000;
    let signature = fleet_stripe::webhook::sign_header(
        &delivery.secret,
        timestamp,
        delivery.payload.as_bytes(),
    );
    let answer = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signature)
        .body(delivery.payload.clone())
        .send()
        .await;
    match answer {
        Ok(response) => {
            let status = response.status();
            Attempt {
                status: Some(status.as_u16()),
                error: (!status.is_success()).then(|| {
                    if status.is_redirection() {
                        format!("The receiver answered {status}; redirects are not followed.")
                    } else {
                        format!("The receiver answered {status}.")
                    }
                }),
            }
        }
        Err(e) if e.is_timeout() => failed(format!(
            "No answer within {} s.",
            timeout.as_secs_f64().round()
        )),
        Err(e) if e.is_connect() => failed("Could not connect to the receiver."),
        Err(_) => failed("The request failed before an answer."),
    }
}
