//! A loopback DNS server for tests, benchmarks and the quick start: in-process, authoritative
//! for the zones it is given (RFC 1035 zone-file text, parsed by hickory), on 127.0.0.1 with an
//! ephemeral port, over UDP and TCP. It runs on a thread of its own, so sync tests and the
//! binary under test can use it alike.
//!
//! Fault modes, switchable at any time: [`Mode::Silent`] (never answers) and [`Mode::ServFail`]
//! (answers SERVFAIL), for every name ([`DnsServer::set_mode`]) or for a name and the names
//! under it ([`DnsServer::set_mode_for`]).
//!
//! ```text
//! let mut zones = Zones::new();
//! zones.add("contoso.com", "@ MX 10 contoso-com.mail.protection.outlook.com.")?;
//! let dns = DnsServer::start(zones)?;       // dns.addr() = 127.0.0.1:<port>
//! dns.set_mode(Mode::Silent);
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{LowerName, Name};
use hickory_proto::serialize::txt::Parser;
use hickory_server::ServerFuture;
use hickory_server::authority::{Catalog, MessageResponseBuilder, ZoneType};
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::store::in_memory::InMemoryAuthority;

/// How the server treats a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Answer from the zones (NXDOMAIN/NODATA with the SOA when there is nothing; REFUSED
    /// outside every zone).
    Answer,
    /// Say nothing: the client times out.
    Silent,
    /// Answer SERVFAIL.
    ServFail,
}

/// Zone data: one authority per zone origin.
#[derive(Default)]
pub struct Zones {
    catalog: Catalog,
    count: usize,
}

impl Zones {
    pub fn new() -> Zones {
        Zones::default()
    }

    /// Add the zone `origin` from zone-file text. Names are relative to `origin` (`@` is the
    /// apex) unless they end with a dot; `$ORIGIN` and `$TTL` work; TTL defaults to 60; a
    /// zone without an SOA gets one.
    pub fn add(&mut self, origin: &str, text: &str) -> Result<(), String> {
        let origin_name = Name::from_ascii(format!("{}.", origin.trim_end_matches('.')))
            .map_err(|e| format!("zone {origin}: bad origin: {e}"))?;
        let has_soa = text
            .lines()
            .any(|l| l.split_whitespace().any(|w| w.eq_ignore_ascii_case("SOA")));
        let mut full = String::from("$TTL 60\n");
        if !has_soa {
            full.push_str(&format!(
                "@ IN SOA ns1.{o} hostmaster.{o} 1 60 60 600 60\n",
                o = origin_name
            ));
        }
        full.push_str(text);
        full.push('\n');
        let (name, records) = Parser::new(full, None, Some(origin_name))
            .parse()
            .map_err(|e| format!("zone {origin}: {e}"))?;
        let authority = InMemoryAuthority::new(name.clone(), records, ZoneType::Primary, false)
            .map_err(|e| format!("zone {origin}: {e}"))?;
        self.catalog
            .upsert(LowerName::from(&name), Box::new(Arc::new(authority)));
        self.count += 1;
        Ok(())
    }

    /// Every file in `dir` is one zone, named after the file (`contoso.com` or
    /// `contoso.com.zone`); files starting with `.` are skipped.
    pub fn from_dir(dir: &Path) -> Result<Zones, String> {
        let mut zones = Zones::new();
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            let Some(file) = path.file_name().and_then(|f| f.to_str()) else {
                continue;
            };
            if file.starts_with('.') || !path.is_file() {
                continue;
            }
            let origin = file.strip_suffix(".zone").unwrap_or(file);
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            zones.add(origin, &text)?;
        }
        Ok(zones)
    }

    /// How many zones are loaded.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// What the server thread and the test share.
struct State {
    catalog: Catalog,
    mode: Mutex<Mode>,
    /// Per-name modes: a name's own, else its nearest ancestor's, else the global one.
    modes: Mutex<HashMap<LowerName, Mode>>,
    queries: AtomicUsize,
    tcp_queries: AtomicUsize,
    by_name: Mutex<HashMap<String, usize>>,
}

impl State {
    fn mode_for(&self, name: &LowerName) -> Mode {
        let modes = self.modes.lock().unwrap_or_else(|e| e.into_inner());
        if !modes.is_empty() {
            let mut n = name.clone();
            loop {
                if let Some(m) = modes.get(&n) {
                    return *m;
                }
                if n.is_root() {
                    break;
                }
                n = n.base_name();
            }
        }
        *self.mode.lock().unwrap_or_else(|e| e.into_inner())
    }
}

struct Handler(Arc<State>);

// `RequestHandler` is an `async_trait`; this is the signature the macro would write.
impl RequestHandler for Handler {
    fn handle_request<'life0, 'life1, 'async_trait, R>(
        &'life0 self,
        request: &'life1 Request,
        mut response_handle: R,
    ) -> Pin<Box<dyn Future<Output = ResponseInfo> + Send + 'async_trait>>
    where
        R: 'async_trait + ResponseHandler,
        'life0: 'async_trait,
        'life1: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            let state = &self.0;
            let name = request.query().name().clone();
            state.queries.fetch_add(1, Ordering::Relaxed);
            if matches!(request.protocol(), hickory_server::server::Protocol::Tcp) {
                state.tcp_queries.fetch_add(1, Ordering::Relaxed);
            }
            *state
                .by_name
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(name.to_string().to_ascii_lowercase())
                .or_default() += 1;
            match state.mode_for(&name) {
                Mode::Silent => ResponseInfo::from(*request.header()),
                Mode::ServFail => {
                    let response = MessageResponseBuilder::from_message_request(request)
                        .error_msg(request.header(), ResponseCode::ServFail);
                    match response_handle.send_response(response).await {
                        Ok(info) => info,
                        Err(_) => ResponseInfo::from(*request.header()),
                    }
                }
                Mode::Answer => state.catalog.handle_request(request, response_handle).await,
            }
        })
    }
}

/// A running server; stopped when dropped.
pub struct DnsServer {
    addr: SocketAddr,
    state: Arc<State>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl DnsServer {
    /// Serve `zones` on 127.0.0.1 at an ephemeral port (UDP and TCP on the same port).
    pub fn start(zones: Zones) -> std::io::Result<DnsServer> {
        Self::start_on(zones, 0)
    }

    /// Serve `zones` on 127.0.0.1:`port` (0: any free port).
    pub fn start_on(zones: Zones, port: u16) -> std::io::Result<DnsServer> {
        let (udp, tcp) = bind_pair(port)?;
        let addr = udp.local_addr()?;
        let state = Arc::new(State {
            catalog: zones.catalog,
            mode: Mutex::new(Mode::Answer),
            modes: Mutex::new(HashMap::new()),
            queries: AtomicUsize::new(0),
            tcp_queries: AtomicUsize::new(0),
            by_name: Mutex::new(HashMap::new()),
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<std::io::Result<()>>();
        let handler = Handler(Arc::clone(&state));
        let thread = std::thread::Builder::new()
            .name(format!("dns-{}", addr.port()))
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                rt.block_on(async move {
                    let mut server = ServerFuture::new(handler);
                    let sockets = udp
                        .set_nonblocking(true)
                        .and_then(|_| tcp.set_nonblocking(true))
                        .and_then(|_| Ok((tokio::net::UdpSocket::from_std(udp)?, tcp)))
                        .and_then(|(u, t)| Ok((u, tokio::net::TcpListener::from_std(t)?)));
                    match sockets {
                        Ok((u, t)) => {
                            server.register_socket(u);
                            server.register_listener(t, Duration::from_secs(10));
                            let _ = ready_tx.send(Ok(()));
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    }
                    tokio::select! {
                        _ = server.block_until_done() => {}
                        _ = stopped => { let _ = server.shutdown_gracefully().await; }
                    }
                });
            })?;
        ready_rx
            .recv()
            .map_err(|_| std::io::Error::other("the DNS server thread stopped"))??;
        Ok(DnsServer {
            addr,
            state,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `127.0.0.1:<port>`, for `HUNTER_PC_DNS_SERVERS`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The mode for every name without a mode of its own.
    pub fn set_mode(&self, mode: Mode) {
        *self.state.mode.lock().unwrap_or_else(|e| e.into_inner()) = mode;
    }

    /// The mode for `name` and every name under it; `None` removes it.
    pub fn set_mode_for(&self, name: &str, mode: Option<Mode>) {
        let Ok(n) = Name::from_ascii(format!("{}.", name.trim_end_matches('.'))) else {
            return;
        };
        let mut modes = self.state.modes.lock().unwrap_or_else(|e| e.into_inner());
        match mode {
            Some(m) => modes.insert(LowerName::from(&n), m),
            None => modes.remove(&LowerName::from(&n)),
        };
    }

    /// Questions received so far (also the unanswered ones).
    pub fn queries(&self) -> usize {
        self.state.queries.load(Ordering::Relaxed)
    }

    /// Questions received over TCP so far.
    pub fn tcp_queries(&self) -> usize {
        self.state.tcp_queries.load(Ordering::Relaxed)
    }

    /// Questions received so far for exactly `name` (any type).
    pub fn queries_for(&self, name: &str) -> usize {
        let key = format!("{}.", name.trim_end_matches('.').to_ascii_lowercase());
        self.state
            .by_name
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .copied()
            .unwrap_or(0)
    }

    /// Block until the server stops (it runs until the process ends; for the example binary).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A UDP socket and a TCP listener on the same 127.0.0.1 port (a few tries for an ephemeral
/// port whose TCP side is taken).
fn bind_pair(port: u16) -> std::io::Result<(std::net::UdpSocket, std::net::TcpListener)> {
    let mut last = None;
    for _ in 0..20 {
        let udp = std::net::UdpSocket::bind(("127.0.0.1", port))?;
        let p = udp.local_addr()?.port();
        match std::net::TcpListener::bind(("127.0.0.1", p)) {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(e) if port == 0 => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free port")))
}
