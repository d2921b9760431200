//! A real SMTP server on loopback (mailin-embedded) that keeps what it
//! receives and can refuse chosen recipients.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mailin_embedded::{Handler, Response, Server, response};

#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

impl Received {
    pub fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.data)
            .expect("a parsable message")
    }
}

#[derive(Default)]
struct Shared {
    received: Vec<Received>,
    /// Only count messages (for load runs, so the sink's memory stays flat).
    count_only: bool,
    count: usize,
    /// Delivery status notifications this server wrote, as a relay does
    /// when a message it accepted later fails (see `late_bounce`).
    dsns: Vec<Received>,
}

#[derive(Clone)]
struct Sink {
    shared: Arc<Mutex<Shared>>,
    current: Option<Received>,
}

impl Handler for Sink {
    fn mail(&mut self, _ip: std::net::IpAddr, _domain: &str, from: &str) -> Response {
        self.current = Some(Received {
            from: from.to_owned(),
            to: Vec::new(),
            data: Vec::new(),
        });
        response::OK
    }

    fn rcpt(&mut self, to: &str) -> Response {
        // Addresses with "bounce" do not exist; "busy" are deferred.
        if to.contains("bounce") && !to.contains("late-bounce") {
            return Response::custom(550, "5.1.1 No such user here".to_owned());
        }
        if to.contains("busy") {
            return Response::custom(451, "4.3.0 Try again later".to_owned());
        }
        if let Some(current) = &mut self.current {
            current.to.push(to.to_owned());
        }
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if let Some(current) = &mut self.current {
            current.data.extend_from_slice(buf);
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        if let Some(done) = self.current.take() {
            if let Ok(mut shared) = self.shared.lock() {
                for to in done.to.iter().filter(|to| to.contains("late-bounce")) {
                    let dsn = late_bounce(&done, to);
                    shared.dsns.push(dsn);
                }
                shared.count += 1;
                if !shared.count_only {
                    shared.received.push(done);
                }
            }
        }
        response::OK
    }
}

/// The RFC 3464 report a relay writes when a message it accepted for `to`
/// is refused by the next server: sent to the envelope sender, with the
/// original's headers.
fn late_bounce(original: &Received, to: &str) -> Received {
    let text = String::from_utf8_lossy(&original.data).replace("\r\n", "\n");
    let headers = text.split("\n\n").next().unwrap_or_default().replace('\n', "\r\n");
    let boundary = "sink-dsn-boundary";
    let body = format!(
        "From: Mail Delivery System <MAILER-DAEMON@sink.test>\r\n\
         To: {sender}\r\n\
         Subject: Undelivered Mail Returned to Sender\r\n\
         Auto-Submitted: auto-replied\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"{boundary}\"\r\n\
         \r\n\
         --{boundary}\r\n\
         Content-Type: text/plain; charset=us-ascii\r\n\
         \r\n\
         Your message could not be delivered to {to}.\r\n\
         \r\n\
         --{boundary}\r\n\
         Content-Type: message/delivery-status\r\n\
         \r\n\
         Reporting-MTA: dns; sink.test\r\n\
         \r\n\
         Final-Recipient: rfc822; {to}\r\n\
         Action: failed\r\n\
         Status: 5.1.1\r\n\
         Remote-MTA: dns; mx.practice.example.org\r\n\
         Diagnostic-Code: smtp; 550 5.1.1 <{to}>: Recipient address rejected: User unknown\r\n\
         \r\n\
         --{boundary}\r\n\
         Content-Type: text/rfc822-headers\r\n\
         \r\n\
         {headers}\r\n\
         \r\n\
         --{boundary}--\r\n",
        sender = original.from,
    );
    Received {
        from: String::new(),
        to: vec![original.from.clone()],
        data: body.into_bytes(),
    }
}

pub struct SmtpSink {
    pub port: u16,
    shared: Arc<Mutex<Shared>>,
}

impl SmtpSink {
    /// Starts a server on a free loopback port.
    pub fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        Self::start_on(listener)
    }

    /// A server that only counts what it receives.
    pub fn start_counting() -> SmtpSink {
        let sink = Self::start();
        if let Ok(mut shared) = sink.shared.lock() {
            shared.count_only = true;
        }
        sink
    }

    pub fn count(&self) -> usize {
        self.shared.lock().map(|s| s.count).unwrap_or_default()
    }

    /// Starts a server on a port chosen earlier (to bring a "down" server up).
    pub fn start_on(listener: TcpListener) -> SmtpSink {
        let port = listener.local_addr().expect("address").port();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let handler = Sink {
            shared: shared.clone(),
            current: None,
        };
        std::thread::spawn(move || {
            let mut server = Server::new(handler);
            server
                .with_name("sink.test")
                .with_num_threads(64)
                .with_tcp_listener(listener);
            // One thread per connection, and lettre keeps its pooled
            // connections open: leave room for several workers.
            // Runs until the test process ends.
            let _ = server.serve();
        });
        SmtpSink { port, shared }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The bounces this server wrote for `late-bounce` recipients.
    pub fn dsns(&self) -> Vec<Received> {
        self.shared.lock().map(|s| s.dsns.clone()).unwrap_or_default()
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().map(|s| s.received.clone()).unwrap_or_default()
    }

    /// Like `wait_for`, without blocking the test's runtime (for when the
    /// server under test sends by itself).
    pub async fn wait_for_async(&self, n: usize) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let received = self.received();
            if received.len() >= n || started.elapsed() > Duration::from_secs(20) {
                return received;
            }
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until at least `n` messages arrived (at most 20 seconds).
    pub fn wait_for(&self, n: usize) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let received = self.received();
            if received.len() >= n || started.elapsed() > Duration::from_secs(20) {
                return received;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A loopback port where nothing listens (yet).
pub fn closed_port() -> (u16, TcpListener) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    (port, listener)
}
