use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use galaxy_gateway::domain::accounts::HashCost;
use galaxy_gateway::domain::client_ip;
use galaxy_gateway::settings::{self, Source, DEFAULT_CORS_ORIGINS};
use galaxy_gateway::store::postgres::Postgres;
use galaxy_gateway::store::prometheus::Prometheus;
use galaxy_gateway::{AppState, Settings};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Reference Galaxy api-gateway: the admin API the dashboard uses, simulated for real.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "GATEWAY_LISTEN", default_value = "127.0.0.1:30002")]
    listen: SocketAddr,
    /// PEM certificate chain; with --tls-key, serve HTTPS.
    #[arg(long, env = "TLS_CERT_FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "TLS_KEY_FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Path prefix of the API.
    #[arg(long, env = "API_BASE_PATH", default_value = "/api")]
    base_path: String,
    /// Number of seeded players (deterministic).
    #[arg(long, env = "SEED_PLAYERS", default_value_t = 250, value_parser = clap::value_parser!(u64).range(0..=100_000))]
    players: u64,
    /// Game time at tick 0.
    #[arg(long, env = "GAME_START_DATE", default_value = "2000-01-01T12:00:00Z")]
    start_date: String,
    /// Lifetime of issued tokens, in seconds.
    #[arg(long, env = "JWT_EXPIRE_SECONDS", default_value_t = 3600)]
    token_ttl_secs: u64,
    /// A console session ends after this many minutes without its operator's activity (a
    /// client marks its polling `X-Galaxy-Activity: background`); 0: no limit.
    #[arg(long, env = "SESSION_IDLE_MINUTES", default_value_t = 30)]
    session_idle_minutes: u64,
    /// Comma-separated origins allowed by CORS.
    #[arg(long, env = "CORS_ORIGINS", default_value = DEFAULT_CORS_ORIGINS)]
    cors_origins: String,
    /// Comma-separated CIDR blocks of the proxies (the ingress) whose X-Forwarded-For is
    /// believed when they are the TCP peer; empty believes no one.
    #[arg(long, env = "TRUSTED_PROXIES", default_value = "")]
    trusted_proxies: String,
    /// Folder with the files jwt_secret_key, galaxy_admin_username, galaxy_admin_password.
    #[arg(long, env = "SECRETS_DIR")]
    secrets_dir: Option<PathBuf>,
    /// Generate or default absent secrets and print them (never in production).
    #[arg(long)]
    dev: bool,
    /// Enable the /__dev/* endpoints that tests use to simulate faults and deploys.
    #[arg(long)]
    dev_controls: bool,
    /// Argon2id memory cost of new password hashes, in KiB (default: OWASP's 19 MiB).
    #[arg(long, env = "PASSWORD_HASH_MEMORY_KIB", default_value_t = HashCost::PRODUCTION.memory_kib)]
    password_hash_memory_kib: u32,
    /// Argon2id passes over that memory for new password hashes.
    #[arg(long, env = "PASSWORD_HASH_ITERATIONS", default_value_t = HashCost::PRODUCTION.iterations)]
    password_hash_iterations: u32,
    /// Seconds between two samples of the game's health history, which keeps 24 hours:
    /// ceil(86400 / this) samples of 40 bytes each (8640, about 338 KiB, at 10). The
    /// in-process history's; with --prometheus-url, Prometheus samples at its scrape interval.
    #[arg(long, env = "HISTORY_INTERVAL_SECS", default_value_t = galaxy_gateway::domain::history::DEFAULT_INTERVAL_SECS, value_parser = clap::value_parser!(u32).range(1..=86_400))]
    history_interval_secs: u32,
    /// Fill the past 24 hours of history with a made-up, deterministic pattern at start-up,
    /// so charts have something to show at once (for local runs, never in production).
    #[arg(long)]
    demo_history: bool,
    /// The most rows one CSV export holds; an export of more is refused (422) with the count.
    #[arg(long, env = "EXPORT_MAX_ROWS", default_value_t = settings::DEFAULT_EXPORT_MAX_ROWS as u64, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    export_max_rows: u64,
    /// Comma-separated roles whose accounts must sign in with a second factor (TOTP), or
    /// `none`; an account of one without a factor is sent to set one up at its next sign-in
    /// (the console's "Set up two-step sign-in"). Local runs and the tests set `none`
    /// (scripts/lib.sh).
    #[arg(long, env = "SECOND_FACTOR_ROLES", default_value = "admin")]
    second_factor_roles: String,
    /// Whether dangerous actions (restore, deleting a player or an account, a bulk ban of more
    /// than 10 players, role and disabled changes, factor resets) take a fresh second-factor
    /// code, or the password of an account without one, given for that very action (the
    /// console asks for it in place). Local runs and the tests set `false` (scripts/lib.sh).
    #[arg(long, env = "CONFIRM_DANGEROUS_ACTIONS", default_value_t = true, action = clap::ArgAction::Set)]
    confirm_dangerous_actions: bool,
    /// Whether runtime configuration changes and resets are dangerous actions too (set it in
    /// production, where a change reaches every player at once).
    #[arg(long, env = "CONFIRM_CONFIG_CHANGES", default_value_t = false, action = clap::ArgAction::Set)]
    confirm_config_changes: bool,
    /// The domain passkeys are bound to (WebAuthn's RP ID): the dashboard's host or a parent
    /// domain of it. Default: the host of the first of --cors-origins.
    #[arg(long, env = "PASSKEY_RP_ID")]
    passkey_rp_id: Option<String>,
    /// Read the history from this Prometheus (its root URL over plain HTTP, e.g. http://prometheus:9090)
    /// instead of the in-process ring: it keeps the history across restarts and replicas.
    /// It must scrape the game's metrics (tick_engine_*, physics_tick_duration_ms,
    /// galaxy_connections_active; this gateway serves them on /metrics). While it is down
    /// or answers an error, the history endpoint answers 503.
    #[arg(long, env = "GALAXY_PROMETHEUS_URL")]
    prometheus_url: Option<String>,
    /// Prometheus's scrape interval in seconds (Galaxy's: 15): the history's sample interval,
    /// from which its buckets follow.
    #[arg(long, env = "GALAXY_PROMETHEUS_SCRAPE_SECS", default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=3600))]
    prometheus_scrape_secs: u32,
    /// Seconds a history query to Prometheus may take before the endpoint answers 503.
    #[arg(long, env = "GALAXY_PROMETHEUS_TIMEOUT_SECS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=300))]
    prometheus_timeout_secs: u64,
    /// Keep the console's accounts, audit log, bans and notes in this PostgreSQL (a libpq URL,
    /// e.g. postgresql://galaxy_admin_api@postgres:5432/galaxy) instead of in memory, shared
    /// by every replica; the database needs api/migrations applied, and Galaxy's `players`
    /// the simulated players (see --seed-database-players). Without it everything is in
    /// memory and lost on restart.
    #[arg(long, env = "GALAXY_ADMIN_DATABASE_URL")]
    database_url: Option<String>,
    /// Insert the seeded players (--players) that are missing into the `players` table of
    /// --database-url, connected as a role that may (the owner), and exit: what Galaxy's
    /// players service would have created, for tests and local runs.
    #[arg(long, requires = "database_url")]
    seed_database_players: bool,
}

fn build_settings(args: &Args) -> Result<Settings, String> {
    let start_date = OffsetDateTime::parse(&args.start_date, &Rfc3339)
        .map_err(|e| format!("--start-date must be RFC 3339: {e}"))?;
    if args.token_ttl_secs == 0 {
        return Err("--token-ttl-secs must be positive".into());
    }
    let password_hash_cost = HashCost {
        memory_kib: args.password_hash_memory_kib,
        iterations: args.password_hash_iterations,
    };
    password_hash_cost.params()?;
    let prometheus = match args.prometheus_url.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(url) => Some(Prometheus::new(
            url,
            args.prometheus_scrape_secs,
            Duration::from_secs(args.prometheus_timeout_secs),
        )?),
    };
    let loaded = settings::load_secrets(args.secrets_dir.as_deref(), args.dev)?;
    for (name, source) in loaded.sources {
        match source {
            Source::File => eprintln!(
                "secret {name}: from {}",
                args.secrets_dir
                    .as_deref()
                    .unwrap_or_else(|| ".".as_ref())
                    .join(name)
                    .display()
            ),
            Source::Env => eprintln!("secret {name}: from ${}", name.to_ascii_uppercase()),
            Source::Generated => eprintln!("secret {name}: generated for this dev run"),
        }
    }
    if loaded.sources.iter().any(|(_, s)| *s == Source::Generated) {
        eprintln!(
            "dev admin credentials: username {:?} password {:?}",
            loaded.secrets.admin_username, loaded.secrets.admin_password
        );
    }
    let settings = Settings {
        base_path: args.base_path.trim_end_matches('/').to_owned(),
        players: args.players,
        start_date,
        token_ttl: Duration::from_secs(args.token_ttl_secs),
        session_idle: (args.session_idle_minutes > 0)
            .then(|| Duration::from_secs(args.session_idle_minutes * 60)),
        cors_origins: settings::parse_origins(&args.cors_origins)?,
        trusted_proxies: client_ip::parse_trusted(&args.trusted_proxies)?,
        dev_controls: args.dev_controls,
        password_hash_cost,
        history_interval_secs: args.history_interval_secs,
        demo_history: args.demo_history,
        export_max_rows: args.export_max_rows as usize,
        second_factor_roles: settings::parse_roles(&args.second_factor_roles)?,
        confirm_dangerous_actions: args.confirm_dangerous_actions,
        confirm_config_changes: args.confirm_config_changes,
        passkey_rp_id: args.passkey_rp_id.clone(),
        prometheus,
        secrets: loaded.secrets,
    };
    let party = settings.relying_party()?;
    eprintln!(
        "passkeys: RP ID {:?}, answers accepted from {}",
        party.rp_id(),
        args.cors_origins
    );
    Ok(settings)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    eprintln!("gateway: shutting down");
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    galaxy_gateway::install_crypto_provider();
    let args = Args::parse();
    if args.seed_database_players {
        let url = args.database_url.as_deref().unwrap_or_default();
        let players = galaxy_gateway::domain::players::seed(args.players);
        return match galaxy_gateway::store::postgres::seed_players(url, &players).await {
            Ok(added) => {
                eprintln!(
                    "gateway: {added} of {} seeded players added to the database",
                    players.len()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("gateway: --seed-database-players: {e}");
                ExitCode::from(2)
            }
        };
    }
    let settings = match build_settings(&args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("gateway: {e}");
            return ExitCode::from(2);
        }
    };
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            match axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key).await {
                Ok(config) => Some(config),
                Err(e) => {
                    eprintln!(
                        "gateway: cannot load TLS certificate {} / key {}: {e}",
                        cert.display(),
                        key.display()
                    );
                    return ExitCode::from(2);
                }
            }
        }
        _ => None,
    };
    let listener = match std::net::TcpListener::bind(args.listen) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("gateway: cannot listen on {}: {e}", args.listen);
            return ExitCode::from(2);
        }
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    match &settings.prometheus {
        Some(p) => eprintln!(
            "gateway: history from Prometheus at {} (scraping every {} s)",
            p.url(),
            p.scrape_secs()
        ),
        None => eprintln!(
            "gateway: history in memory, a sample every {} s",
            settings.history_interval_secs
        ),
    }
    eprintln!(
        "gateway: listening on {scheme}://{}{} ({} players{})",
        args.listen,
        settings.base_path,
        settings.players,
        if settings.dev_controls {
            ", dev controls on"
        } else {
            ""
        }
    );
    let state = match args.database_url.as_deref().map(str::trim) {
        None | Some("") => {
            eprintln!("gateway: everything in memory (lost on restart)");
            AppState::new(settings)
        }
        Some(url) => {
            let connected = match Postgres::connect(url).await {
                Ok(pg) => AppState::with_postgres(settings, pg).await,
                Err(e) => Err(e),
            };
            match connected {
                Ok(state) => {
                    eprintln!("gateway: accounts, audit log, bans and notes in PostgreSQL");
                    state
                }
                Err(e) => {
                    eprintln!("gateway: --database-url: {e}");
                    return ExitCode::from(2);
                }
            }
        }
    };
    match galaxy_gateway::serve(listener, state, tls, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gateway: {e}");
            ExitCode::FAILURE
        }
    }
}
