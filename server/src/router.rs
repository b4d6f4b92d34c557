//! Builds the application: database, sessions, middleware, Leptos routes and server functions.

use crate::config::{Config, Environment};
use crate::metrics::Metrics;
use crate::middleware::client_meta::client_meta;
use crate::middleware::csrf::{refuse_cross_origin, CsrfPolicy};
use crate::routes::health;
use crate::routes::stream_watch::StreamWatch;
use crate::tasks::housekeeping;
use app::payments::ssr::webhook_writer::WebhookIngest;
use app::ssr::bus::Bus;
use app::ssr::session_store::DbSessionStore;
use app::ssr::stripe_clients::StripeClients;
use app::ssr::{AppState, Db, Settings, StoreError};
use axum::extract::FromRef;
use axum::http::{header, HeaderValue};
use axum::routing::get;
use axum::Router;
use leptos::config::errors::LeptosConfigError;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

#[derive(Clone)]
struct ServerState {
    leptos: LeptosOptions,
}

impl FromRef<ServerState> for LeptosOptions {
    fn from_ref(state: &ServerState) -> Self {
        state.leptos.clone()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Bus(#[from] app::ssr::bus::BusError),
    #[error("could not start the Stripe simulator on {addr}: {source}")]
    Simulator {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("could not start the password hashing threads: {0}")]
    Hashing(std::io::Error),
    #[error("could not build the Stripe client: {0}")]
    Stripe(#[from] fleet_stripe::StripeError),
    #[error("the LEPTOS_… settings are invalid: {0}")]
    Leptos(#[from] LeptosConfigError),
    #[error("could not listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Metrics(#[from] crate::metrics::MetricsError),
}

/// Leptos' options: read by Leptos from cargo-leptos' variables (`LEPTOS_SITE_ROOT`, …) when it
/// runs us, else the defaults of a release build run from the repository root.
pub fn leptos_options(listen: SocketAddr) -> Result<LeptosOptions, LeptosConfigError> {
    let mut options = leptos::config::get_configuration(None)?.leptos_options;
    options.site_addr = listen;
    // Leptos' default is off; a release binary run without cargo-leptos finds the names of its
    // hashed files beside it, and must use them or ask for files that do not exist.
    if std::env::var_os("LEPTOS_HASH_FILES").is_none() {
        options.hash_files = crate::assets::hash_file_path(&options.hash_file).exists();
    }
    Ok(options)
}

/// Connects to the database and applies pending migrations.
pub async fn open_database(config: &Config) -> Result<Db, StoreError> {
    let db = Db::connect(&config.database_url).await?;
    db.migrate().await?;
    Ok(db)
}

pub fn settings(config: &Config) -> Settings {
    let limits = &config.accounts;
    Settings {
        public_url: config.public_url.clone(),
        master_key: config.master_key.clone(),
        stripe_api_base: config.stripe_api_base.clone(),
        platform_key: config.platform_key.clone(),
        connect_base: config.connect.base_for(&config.stripe_api_base),
        connect_origin: config
            .platform_key
            .as_ref()
            .and_then(|_| url::Url::parse(&config.connect.base_for(&config.stripe_api_base)).ok())
            .map(|url| url.origin().ascii_serialization())
            .filter(|origin| origin != "null"),
        connect_client_id: config.connect.client_id.clone(),
        limits: config.limits,
        throttle_per_email: limits.sign_in_failures_per_email,
        throttle_per_ip: limits.sign_in_failures_per_address,
        sign_ups_per_address: limits.sign_ups_per_hour,
        sign_up_window: std::time::Duration::from_secs(3600),
        organisations_per_user: limits.organisations_per_user,
        production: config.env == crate::config::Environment::Production,
        notify_backoff: config.notifications.backoff,
        ..Settings::default()
    }
}

/// The app's page routes, found once per process. Leptos finds them by rendering the app with
/// resource loading switched off by a flag global to the process: a second server built later
/// in the same process (the integration tests run dozens at once) would switch it off under
/// the first one's requests, whose pages would then wait forever for their data.
fn page_routes() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: OnceLock<Vec<leptos_axum::AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(app::App)).clone()
}

/// The whole HTTP application.
pub fn build_router(
    config: &Config,
    state: AppState,
    metrics: Arc<Metrics>,
    streams: Arc<StreamWatch>,
    webhooks: WebhookIngest,
) -> Result<Router, StartError> {
    let leptos = leptos_options(config.listen)?;
    let routes = page_routes();
    let server_state = ServerState {
        leptos: leptos.clone(),
    };
    let sessions = SessionManagerLayer::new(DbSessionStore::cached(
        state.db.clone(),
        state.bus.cache().clone(),
    ))
    .with_name(crate::middleware::headers::session_cookie_name(
        config.cookie_secure,
    ))
    .with_http_only(true)
    .with_same_site(SameSite::Lax)
    .with_secure(config.cookie_secure)
    .with_path("/")
    .with_expiry(Expiry::OnInactivity(time::Duration::minutes(
        config.session_idle_minutes,
    )));
    let csrf = Arc::new(CsrfPolicy {
        public_origin: config.public_url.clone(),
        // Only a loopback listener is reached under names we cannot know in advance
        // (localhost, 127.0.0.1, ::1); on any other address the Host header is whatever a
        // client chose, so matching it would accept any origin.
        accept_host_origin: config.env == Environment::Development
            && config.listen.ip().is_loopback(),
    });
    // A splash screen is larger than the 1 MiB every other request is held to: its upload is
    // routed beside the others, with the same session, origin check and client address, and
    // reads its own body up to its own bound.
    // What every route routed apart still needs: the session, the origin check and the
    // client's address.
    let apart = |routes: Router<AppState>| {
        routes
            .with_state(state.clone())
            .layer(sessions.clone())
            .layer(axum::middleware::from_fn_with_state(
                csrf.clone(),
                refuse_cross_origin,
            ))
            .layer(axum::middleware::from_fn_with_state(
                Arc::new(config.trusted_proxies.clone()),
                client_meta,
            ))
    };
    let splash_upload = apart(Router::new().route(
        app::configurations::SPLASH_UPLOAD_PATH,
        axum::routing::post(crate::routes::splash::upload),
    ));
    // The live streams, outside compression (see below).
    let events = apart(Router::new().route(
        "/events",
        get(crate::routes::events::events).layer(axum::Extension(streams.clone())),
    ));
    let page_state = state.clone();
    let fallback_state = state.clone();

    let health = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .with_state(state.db.clone());

    let router = Router::new()
        .leptos_routes_with_context(
            &server_state,
            routes,
            move || {
                provide_context(page_state.clone());
                provide_context(app::ssr::caller::CallerMemo::default());
                crate::middleware::headers::provide_page_policy();
            },
            {
                let leptos = leptos.clone();
                move || app::shell(leptos.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            ServerState,
            _,
        >(
            move || {
                provide_context(fallback_state.clone());
                crate::middleware::headers::provide_page_policy();
            },
            app::shell,
        ))
        .with_state(server_state)
        .merge(
            Router::new()
                .route(
                    "/transactions.csv",
                    get(crate::routes::export::transactions_csv),
                )
                .route("/audit.csv", get(crate::routes::audit_export::audit_csv))
                .route(
                    "/readers/export.csv",
                    get(crate::routes::readers_export::readers_csv),
                )
                .route(
                    app::fleet::bulk_types::BULK_REGISTER_PATH,
                    axum::routing::post(crate::routes::bulk_upload::upload),
                )
                .route(
                    "/configurations/{connection}/splash/{file}",
                    get(crate::routes::splash::preview),
                )
                .route(
                    "/connect/oauth/callback",
                    get(crate::routes::connect_pages::oauth_callback),
                )
                .route(
                    "/connect/onboarding/{connection}/return",
                    get(crate::routes::connect_pages::onboarding_return),
                )
                .route(
                    "/connect/onboarding/{connection}/refresh",
                    get(crate::routes::connect_pages::onboarding_refresh),
                )
                .with_state(state.clone()),
        )
        .layer(sessions)
        .merge(crate::api::router(state.clone(), config.api_rate))
        .merge(
            // Outside the session layer: Stripe has no cookie, the signature is its credential.
            Router::new()
                .route(
                    "/webhooks/stripe/{connection}",
                    axum::routing::post(crate::routes::webhooks::stripe),
                )
                .layer(axum::Extension(webhooks.clone()))
                .with_state(state.clone()),
        )
        .layer(axum::middleware::from_fn(
            crate::middleware::sf_body_limit::bound_body,
        ))
        .layer(axum::middleware::from_fn_with_state(
            crate::middleware::done_flash::FlashCookie {
                secure: config.cookie_secure,
            },
            crate::middleware::done_flash::flash_done,
        ))
        .merge(health)
        .merge(match &config.metrics.token {
            Some(token) => crate::metrics::http::router(
                metrics.clone(),
                state.clone(),
                streams.clone(),
                webhooks.clone(),
                Some(token),
            ),
            None => Router::new(),
        })
        .layer(axum::middleware::from_fn_with_state(
            csrf,
            refuse_cross_origin,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(config.trusted_proxies.clone()),
            client_meta,
        ))
        .layer(RequestBodyLimitLayer::new(1024 * 1024))
        .merge(splash_upload);
    let policy = Arc::new(crate::middleware::headers::HeaderPolicy {
        hsts: config.public_url.starts_with("https://"),
        immutable: crate::assets::hashed_asset_paths(&leptos),
    });
    let router = with_security_headers(router, policy.clone())
        // Pages, server-function answers and exports are text and shrink five- to tenfold.
        // Brotli and gzip at level 4: most of the gain for a fraction of the CPU of their best.
        // Already encoded files (the build's precompressed wasm) pass as they are
        // (`Content-Encoding` already set).
        .layer(
            CompressionLayer::new()
                .br(true)
                .gzip(true)
                .quality(CompressionLevel::Precise(4)),
        )
        // Merged after compression, which would pass an event stream through untouched (its
        // default predicate) yet wrap it in a body as large as its largest encoder (5.8 KiB,
        // brotli's state), held for as long as the stream is open: a tenth of a stream's memory.
        .merge(with_security_headers(events, policy))
        // Last, so it runs after routing (the route template is known) and times everything
        // beneath it, compression included.
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            crate::metrics::http::time_requests,
        ));
    Ok(router)
}

/// The headers every response carries unless it set its own.
fn with_security_headers(
    router: Router,
    policy: Arc<crate::middleware::headers::HeaderPolicy>,
) -> Router {
    router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(axum::middleware::from_fn_with_state(
            policy,
            crate::middleware::headers::security_headers,
        ))
}

/// A server that is listening, with the address it got (tests bind port 0).
pub struct Running {
    pub addr: SocketAddr,
    /// Where `/metrics` listens on its own, when `FLEET_METRICS_LISTEN` is set.
    pub metrics_addr: Option<SocketAddr>,
    pub state: AppState,
    pub handle: tokio::task::JoinHandle<()>,
    pub sync: Option<crate::tasks::reader_sync::SyncHandle>,
    pub queue: tokio::task::JoinHandle<()>,
    pub notifier: tokio::task::JoinHandle<()>,
    /// The instance's webhook writer, and the queue that feeds it.
    pub webhook_writer: tokio::task::JoinHandle<()>,
    pub webhooks: WebhookIngest,
}

impl Running {
    /// Stops serving and syncing at once, as a crashed instance would (its leases are left to
    /// expire, so tests can watch another instance take over).
    pub fn kill(&self) {
        self.handle.abort();
        self.queue.abort();
        self.notifier.abort();
        self.webhook_writer.abort();
        if let Some(sync) = &self.sync {
            sync.task.abort();
        }
    }
}

/// What every request shares, without serving: the database (migrated), the live bus, the
/// Stripe clients. The operator commands (`assign-account`) act through it too.
pub async fn app_state(config: &Config) -> Result<AppState, StartError> {
    let db = open_database(config).await?;
    let bus = match db.backend {
        app::ssr::db::Backend::Postgres => {
            Bus::postgres(&config.database_url, db.pool.clone()).await?
        }
        app::ssr::db::Backend::Sqlite => Bus::local(),
    };
    let state = AppState {
        db: db.clone(),
        settings: Arc::new(settings(config)),
        bus,
        stripe: Arc::new(StripeClients::new(None, &config.stripe_api_base, None)?),
        in_flight: Default::default(),
        hashing: app::ssr::passwords::Hashing::new(
            config.accounts.hash_concurrency,
            config.accounts.hash_wait,
        )
        .map_err(StartError::Hashing)?,
    };
    Ok(state)
}

/// Opens the database, migrates, binds and serves in the background.
pub async fn start(config: Config) -> Result<Running, StartError> {
    let state = app_state(&config).await?;
    let db = state.db.clone();
    let listener = crate::listener::bind(config.listen).map_err(|source| StartError::Bind {
        addr: config.listen,
        source,
    })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: config.listen,
        source,
    })?;
    let simulator_url = match (&config.simulator_url, config.simulator_listen) {
        (Some(url), _) => Some(url.clone()),
        (None, Some(addr)) => {
            Some(start_simulator(addr, config.simulator_allow_remote_control).await?)
        }
        (None, None) => None,
    };
    let mut config = config;
    if config.listen.port() == 0 {
        // Port 0 means "any": the public URL must name the port actually bound.
        config.public_url = config
            .public_url
            .replace(":0", &format!(":{}", addr.port()));
        config.listen = addr;
    }
    let metrics = Metrics::new()?;
    let observer: Arc<dyn fleet_stripe::Observer> = metrics.clone();
    let state = AppState {
        stripe: Arc::new(StripeClients::new(
            simulator_url.as_deref(),
            &config.stripe_api_base,
            Some(observer),
        )?),
        settings: Arc::new(Settings {
            stripe_simulator_url: simulator_url,
            ..settings(&config)
        }),
        ..state
    };
    let streams = StreamWatch::start(state.clone(), config.max_streams_per_user);
    let (webhooks, inbox) = WebhookIngest::channel(config.limits.webhook_queue);
    let metrics_addr = match config.metrics.listen {
        Some(addr) => Some(
            serve_metrics(
                addr,
                crate::metrics::http::router(
                    metrics.clone(),
                    state.clone(),
                    streams.clone(),
                    webhooks.clone(),
                    None,
                ),
            )
            .await?,
        ),
        None => None,
    };
    let router = build_router(&config, state.clone(), metrics, streams, webhooks.clone())?;
    let webhook_writer = tokio::spawn(app::payments::ssr::webhook_writer::run(
        state.clone(),
        inbox,
    ));
    housekeeping::spawn(db);
    let queue = crate::tasks::webhook_queue::spawn(state.clone());
    crate::tasks::bulk_jobs::spawn(state.clone());
    let notifier = crate::tasks::notifications::spawn(state.clone(), config.notifications.clone());
    let sync = config
        .sync
        .enabled
        .then(|| crate::tasks::reader_sync::spawn(state.clone(), config.sync.clone()));
    let handle = tokio::spawn(crate::listener::serve(listener, router));
    Ok(Running {
        addr,
        metrics_addr,
        state,
        handle,
        sync,
        queue,
        notifier,
        webhook_writer,
        webhooks,
    })
}

/// `/metrics` alone on an address of its own; returns the address it got.
async fn serve_metrics(addr: SocketAddr, router: Router) -> Result<SocketAddr, StartError> {
    let bind = |source| StartError::Bind { addr, source };
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(bind)?;
    let bound = listener.local_addr().map_err(bind)?;
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, router).await {
            tracing::error!(error = %err, "the metrics listener stopped");
        }
    });
    tracing::info!(addr = %bound, "metrics at /metrics");
    Ok(bound)
}

/// The built-in Stripe simulator, the default Stripe of tenants that have no Stripe account.
async fn start_simulator(
    addr: SocketAddr,
    allow_remote_control: bool,
) -> Result<String, StartError> {
    let io = |source| StartError::Simulator { addr, source };
    fleet_stripe_sim::ensure_local_control(addr, allow_remote_control)
        .map_err(|e| io(std::io::Error::other(e)))?;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(io)?;
    let bound = listener.local_addr().map_err(io)?;
    let sim = fleet_stripe_sim::Simulator::new(fleet_stripe_sim::SimConfig {
        allow_remote_control,
        ..Default::default()
    });
    tokio::spawn(async move {
        if let Err(err) = sim.serve(listener).await {
            tracing::error!(error = %err, "the Stripe simulator stopped");
        }
    });
    tracing::info!(url = %format!("http://{bound}"), "built-in Stripe simulator listening");
    Ok(format!("http://{bound}"))
}
