//! Polling a mailbox the bounces are delivered to, over IMAP (RFC 9051 /
//! 3501): every unread message is recorded as a bounce (see `service`) and
//! then marked read, so one that could not be recorded is tried again.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;

use crate::config::Settings;
use crate::db::Pool;

/// Where the mailbox is.
#[derive(Clone)]
pub struct Mailbox {
    pub host: String,
    pub port: u16,
    pub tls: bool,
    pub user: String,
    password: String,
    pub folder: String,
}

impl std::fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.describe())
    }
}

impl Mailbox {
    /// From `imap_url` and `imap_password`; None when no mailbox is set.
    pub fn from_settings(settings: &Settings) -> Result<Option<Mailbox>, String> {
        let url = settings.imap_url.trim();
        if url.is_empty() {
            return Ok(None);
        }
        let (tls, rest) = if let Some(rest) = url.strip_prefix("imaps://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("imap://") {
            (false, rest)
        } else {
            return Err("imap_url must start with imaps:// (or imap:// on this machine)".into());
        };
        let (authority, folder) = rest.split_once('/').unwrap_or((rest, "INBOX"));
        let Some((user, host_port)) = authority.rsplit_once('@') else {
            return Err("imap_url must name the mailbox's user: imaps://USER@HOST:993/INBOX".into());
        };
        if user.contains(':') {
            return Err("imap_url must not hold the password: give it as QUORATE_IMAP_PASSWORD".into());
        }
        let (host, port) = match host_port.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse::<u16>()
                    .map_err(|_| format!("imap_url: \"{port}\" is not a port number"))?,
            ),
            None => (host_port, if tls { 993 } else { 143 }),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || user.is_empty() {
            return Err("imap_url must name the user and the host: imaps://USER@HOST:993/INBOX".into());
        }
        let loopback = matches!(host, "localhost" | "127.0.0.1" | "::1");
        if !tls && !loopback {
            return Err(format!(
                "imap_url: plain imap:// would send the password to {host} unencrypted; use imaps://"
            ));
        }
        let password = settings
            .imap_password
            .as_ref()
            .map(|p| p.expose().to_owned())
            .filter(|p| !p.is_empty())
            .ok_or("imap_url is set but the password is not: set QUORATE_IMAP_PASSWORD")?;
        Ok(Some(Mailbox {
            host: host.to_owned(),
            port,
            tls,
            user: crate::format::percent_decoded(user),
            password,
            folder: crate::format::percent_decoded(if folder.is_empty() { "INBOX" } else { folder }),
        }))
    }

    pub fn describe(&self) -> String {
        format!(
            "{}://{}@{}:{}/{}",
            if self.tls { "imaps" } else { "imap" },
            self.user,
            self.host,
            self.port,
            self.folder
        )
    }
}

/// "bounce%40ccg.example.org" → "bounce@ccg.example.org".
/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollReport {
    /// Unread messages found, and of them recorded (and marked read).
    pub found: usize,
    pub recorded: usize,
    /// Of those recorded, the ones that marked their message failed.
    pub marked_failed: usize,
}

/// How long one conversation may take before it is given up.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Most messages fetched in one round; the rest wait for the next.
const MOST_PER_ROUND: usize = 200;

trait Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + std::fmt::Debug> Stream for T {}

async fn connect(mailbox: &Mailbox) -> Result<Box<dyn Stream>, String> {
    let tcp = tokio::net::TcpStream::connect((mailbox.host.as_str(), mailbox.port))
        .await
        .map_err(|e| format!("could not connect to {}:{}: {e}", mailbox.host, mailbox.port))?;
    if !mailbox.tls {
        return Ok(Box::new(tcp));
    }
    let roots = tokio_rustls::rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("TLS set-up: {e}"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = tokio_rustls::rustls::pki_types::ServerName::try_from(mailbox.host.clone())
        .map_err(|e| format!("{} is not a host name TLS can check: {e}", mailbox.host))?;
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| format!("TLS with {} failed: {e}", mailbox.host))?;
    Ok(Box::new(tls))
}

/// One round: log in, record every unread message, mark each read once it
/// is recorded, log out.
pub async fn poll_once(pool: &Pool, mailbox: &Mailbox, bounce_address: Option<&str>) -> Result<PollReport, String> {
    match tokio::time::timeout(TIMEOUT, poll(pool, mailbox, bounce_address)).await {
        Ok(outcome) => outcome,
        Err(_) => Err(format!(
            "{} did not finish within {} seconds",
            mailbox.describe(),
            TIMEOUT.as_secs()
        )),
    }
}

async fn poll(pool: &Pool, mailbox: &Mailbox, bounce_address: Option<&str>) -> Result<PollReport, String> {
    let imap_error = |what: &str| {
        let what = what.to_owned();
        move |e: async_imap::error::Error| format!("{what}: {e}")
    };
    let mut client = async_imap::Client::new(connect(mailbox).await?);
    client
        .read_response()
        .await
        .map_err(|e| format!("no greeting from {}: {e}", mailbox.host))?
        .ok_or_else(|| format!("{} closed the connection before greeting", mailbox.host))?;
    let mut session = client
        .login(&mailbox.user, &mailbox.password)
        .await
        .map_err(|(e, _)| format!("could not log in to {} as {}: {e}", mailbox.host, mailbox.user))?;
    session
        .select(&mailbox.folder)
        .await
        .map_err(imap_error(&format!("could not open the folder {}", mailbox.folder)))?;
    let mut unread: Vec<u32> = session
        .uid_search("UNSEEN")
        .await
        .map_err(imap_error("could not search for unread messages"))?
        .into_iter()
        .collect();
    unread.sort_unstable();
    let mut report = PollReport {
        found: unread.len(),
        ..PollReport::default()
    };
    for uid in unread.into_iter().take(MOST_PER_ROUND) {
        let bodies: Vec<Vec<u8>> = {
            let fetches: Vec<_> = session
                .uid_fetch(uid.to_string(), "BODY.PEEK[]")
                .await
                .map_err(imap_error("could not fetch a message"))?
                .collect()
                .await;
            fetches
                .into_iter()
                .filter_map(Result::ok)
                .filter_map(|f| f.body().map(<[u8]>::to_vec))
                .collect()
        };
        let Some(raw) = bodies.into_iter().next() else {
            continue;
        };
        let (pool, bounce_address) = (pool.clone(), bounce_address.map(str::to_owned));
        let recorded = actix_web::rt::task::spawn_blocking(move || {
            super::service::record_bounce(&pool, &raw, bounce_address.as_deref(), None)
        })
        .await
        .map_err(|e| format!("recording a bounce: {e}"))?
        .map_err(|e| format!("recording a bounce: {e}"))?;
        report.recorded += 1;
        report.marked_failed += usize::from(recorded.marked_failed);
        let stored: Vec<_> = session
            .uid_store(uid.to_string(), "+FLAGS.SILENT (\\Seen)")
            .await
            .map_err(imap_error("could not mark a message read"))?
            .collect()
            .await;
        drop(stored);
    }
    session.logout().await.map_err(imap_error("logging out"))?;
    Ok(report)
}

/// Polls every `imap_poll_seconds`, for as long as the server runs.
pub async fn run_forever(pool: Pool, mailbox: Mailbox, bounce_address: Option<String>, interval: Duration) {
    loop {
        match poll_once(&pool, &mailbox, bounce_address.as_deref()).await {
            Ok(report) if report.found > 0 => tracing::info!(?report, mailbox = %mailbox.describe(), "bounces read"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "the bounce mailbox could not be read; trying again later"),
        }
        actix_web::rt::time::sleep(interval).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str, password: Option<&str>) -> Settings {
        let mut settings = Settings::load_from(None, Vec::<(String, String)>::new()).expect("defaults");
        settings.imap_url = url.to_owned();
        settings.imap_password = password.map(|p| crate::config::Secret::new(p.to_owned()));
        settings
    }

    #[test]
    fn a_mailbox_is_read_from_its_url() {
        let mailbox = Mailbox::from_settings(&settings(
            "imaps://bounce%40ccg.example.org@mail.example.org/Bounces",
            Some("pw"),
        ))
        .expect("valid")
        .expect("set");
        assert_eq!(
            (
                mailbox.user.as_str(),
                mailbox.host.as_str(),
                mailbox.port,
                mailbox.tls,
                mailbox.folder.as_str()
            ),
            ("bounce@ccg.example.org", "mail.example.org", 993, true, "Bounces")
        );
        assert!(
            !format!("{mailbox:?}").contains("pw"),
            "the password never reaches a log"
        );
        let local = Mailbox::from_settings(&settings("imap://bounces@127.0.0.1:1143", Some("pw")))
            .expect("valid")
            .expect("set");
        assert_eq!((local.port, local.tls, local.folder.as_str()), (1143, false, "INBOX"));
        assert!(Mailbox::from_settings(&settings("", None)).expect("valid").is_none());
        assert_eq!(crate::format::percent_decoded("a%2Fb%zz%4"), "a/b%zz%4");
    }

    #[test]
    fn a_wrong_mailbox_url_is_refused_saying_why() {
        let refused =
            |url: &str, password: Option<&str>| Mailbox::from_settings(&settings(url, password)).expect_err(url);
        assert!(refused("imap://u@mail.example.org", Some("p")).contains("unencrypted"));
        assert!(refused("https://u@mail.example.org", Some("p")).contains("imaps://"));
        assert!(refused("imaps://mail.example.org", Some("p")).contains("user"));
        assert!(refused("imaps://u:secret@mail.example.org", Some("p")).contains("QUORATE_IMAP_PASSWORD"));
        assert!(refused("imaps://u@mail.example.org:99999", Some("p")).contains("port"));
        assert!(refused("imaps://u@mail.example.org", None).contains("QUORATE_IMAP_PASSWORD"));
    }
}
