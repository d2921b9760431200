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
        if to.contains("bounce") {
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
                shared.count += 1;
                if !shared.count_only {
                    shared.received.push(done);
                }
            }
        }
        response::OK
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
