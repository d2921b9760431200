//! Where messages go: an SMTP server (lettre's pooled async transport), or
//! `.eml` files in a folder when no server is configured.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart, header};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::model::Outcome;
use super::store::Claimed;
use crate::config::Settings;

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files {
        transport: AsyncFileTransport<Tokio1Executor>,
        folder: PathBuf,
    },
}

impl Transport {
    pub fn from_settings(settings: &Settings) -> Result<Self, String> {
        match &settings.smtp_url {
            Some(url) => {
                // Never echo the URL: it may hold the password.
                let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose().trim())
                    .map_err(|e| format!("smtp_url cannot be used: {}", describe_url_error(&e)))?;
                let pool_size = u32::try_from(settings.mail_concurrency).unwrap_or(u32::MAX).max(1);
                Ok(Transport::Smtp(
                    builder
                        .timeout(Some(Duration::from_secs(settings.mail_send_timeout_seconds)))
                        .pool_config(PoolConfig::new().max_size(pool_size))
                        .build(),
                ))
            }
            None => {
                let folder = settings.mail_dir.clone();
                std::fs::create_dir_all(&folder)
                    .map_err(|e| format!("cannot create the mail folder {}: {e}", folder.display()))?;
                Ok(Transport::Files {
                    transport: AsyncFileTransport::new(&folder),
                    folder,
                })
            }
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp(_) => "SMTP".to_owned(),
            Transport::Files { folder, .. } => format!(".eml files in {}", folder.display()),
        }
    }

    /// One attempt, bounded by `timeout` (lettre's own timeout covers only
    /// connecting, so a server that stops answering would otherwise hang).
    /// With `bounce_address`, the envelope sender is the message's own VERP
    /// return path (see `bounce::model::return_path`), so a bounce that
    /// comes back later names the message it is about.
    pub async fn send(
        &self,
        from: &Mailbox,
        message: &Claimed,
        timeout: Duration,
        bounce_address: Option<&str>,
    ) -> Outcome {
        let email = match build(from, message, bounce_address) {
            Ok(email) => email,
            Err(reason) => return Outcome::Permanent(reason),
        };
        let attempt = async {
            match self {
                Transport::Smtp(smtp) => smtp.send(email).await.map(|_| ()).map_err(|e| classify_smtp(&e)),
                Transport::Files { transport, .. } => transport
                    .send(email)
                    .await
                    .map(|_| ())
                    .map_err(|e| Outcome::Transient(format!("could not write the message file: {e}"))),
            }
        };
        match actix_web::rt::time::timeout(timeout, attempt).await {
            Ok(Ok(())) => Outcome::Sent,
            Ok(Err(outcome)) => outcome,
            Err(_) => Outcome::Transient(format!(
                "the mail server did not answer within {} seconds",
                timeout.as_secs()
            )),
        }
    }
}

fn describe_url_error(e: &lettre::transport::smtp::Error) -> String {
    // lettre's message names the problem (scheme, host, TLS option), not the credentials.
    e.to_string()
}

fn classify_smtp(e: &lettre::transport::smtp::Error) -> Outcome {
    let reason = match e.status() {
        Some(code) => format!("the mail server replied {code}: {e}"),
        None => e.to_string(),
    };
    if e.is_permanent() {
        Outcome::Permanent(reason)
    } else {
        Outcome::Transient(reason)
    }
}

fn build(from: &Mailbox, message: &Claimed, bounce_address: Option<&str>) -> Result<Message, String> {
    let address: lettre::Address = message
        .recipient_email
        .parse()
        .map_err(|_| format!("{} is not an email address that can be used", message.recipient_email))?;
    let to = Mailbox::new(Some(message.recipient_name.clone()), address.clone());
    let mut builder = Message::builder();
    if let Some(path) = bounce_address.and_then(|b| crate::mail::bounce::model::return_path(b, &message.message_id)) {
        let sender: lettre::Address = path
            .parse()
            .map_err(|e| format!("the return path {path} is not an address: {e}"))?;
        let envelope = lettre::address::Envelope::new(Some(sender), vec![address])
            .map_err(|e| format!("the envelope could not be built: {e}"))?;
        builder = builder.envelope(envelope);
    }
    builder
        .message_id(Some(message.message_id.clone()))
        .from(from.clone())
        .to(to)
        .subject(message.subject.clone())
        .header(AutoSubmitted)
        .multipart(MultiPart::alternative_plain_html(
            message.body_text.clone(),
            message.body_html.clone(),
        ))
        .map_err(|e| format!("the message could not be built: {e}"))
}

/// `Auto-Submitted: auto-generated` (RFC 3834): stops auto-replies.
#[derive(Clone)]
struct AutoSubmitted;

impl header::Header for AutoSubmitted {
    fn name() -> header::HeaderName {
        header::HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> header::HeaderValue {
        header::HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}
