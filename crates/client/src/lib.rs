//! A TAXII 2.1 client (synchronous, rustls) for pulling from and pushing to partner nodes, and
//! a [`Fetcher`] for documents (MISP feeds, STIX bundles, IOC lists) given by URL.
//!
//! Outbound requests follow SECURITY.md rule 11: https only unless the operator allowed plain
//! http for this peer; the host is resolved first and every address is checked — no loopback,
//! private, link-local or otherwise special address unless the operator allowed private
//! addresses for this exact peer; redirects are not followed (a redirect is an error that names
//! the target, so an operator can update the peer's URL deliberately).
//!
//! ```no_run
//! let client = client::Client::new("https://cert.example/meridian/", "mrd_token", client::Outbound::default()).unwrap();
//! let collections = client.collections().unwrap();
//! ```

use std::net::{IpAddr, ToSocketAddrs};
use std::time::Duration;

use serde_json::value::RawValue;

/// What outbound connections may do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outbound {
    /// Allow `http://` (otherwise https only).
    pub allow_http: bool,
    /// Allow loopback, private and link-local addresses (only for a peer the operator configured so).
    pub allow_private: bool,
}

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The URL is not acceptable (scheme, host, resolution, address class).
    #[error("refused outbound request to {url}: {reason}")]
    Refused {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The peer answered with an error status.
    #[error("{url} answered {status}: {body}")]
    Status {
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The start of the body (a TAXII error message, usually).
        body: String,
    },
    /// The connection or transfer failed.
    #[error("request to {url} failed: {source}")]
    Transport {
        /// The URL.
        url: String,
        /// The cause.
        #[source]
        source: Box<ureq::Error>,
    },
    /// The server answered with a redirect, which is not followed.
    #[error(
        "{url} redirects to {location}; redirects are not followed (use that URL if you trust it)"
    )]
    Redirected {
        /// The URL.
        url: String,
        /// Where it redirects to.
        location: String,
    },
    /// The peer's answer is not the TAXII resource expected.
    #[error("{url} sent an unreadable answer: {reason}")]
    Protocol {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
}

/// A page of objects (a TAXII envelope): the raw JSON of each object as the peer sent it.
#[derive(Debug, serde::Deserialize)]
pub struct ObjectsPage {
    /// The objects.
    #[serde(default)]
    pub objects: Vec<Box<RawValue>>,
    /// Whether more match.
    #[serde(default)]
    pub more: bool,
    /// The peer's `next` token.
    pub next: Option<String>,
    /// The `date_added` of the last object in the page, from the `X-TAXII-Date-Added-Last`
    /// header (TAXII 2.1 §3.3.1), when the peer sent it: where a following `added_after`
    /// page starts.
    #[serde(skip)]
    pub date_added_last: Option<String>,
}

/// The header that gives the `date_added` of a page's last object.
pub const DATE_ADDED_LAST: &str = "X-TAXII-Date-Added-Last";

/// A client for one API root.
pub struct Client {
    agent: ureq::Agent,
    api_root: String,
    authorization: String,
    outbound: Outbound,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The authorization header is a secret: never printed.
        f.debug_struct("Client")
            .field("api_root", &self.api_root)
            .field("outbound", &self.outbound)
            .finish()
    }
}

/// The largest answer accepted from a peer.
const MAX_BODY: u64 = 64 * 1024 * 1024;

impl Client {
    /// A client for the API root at `api_root` (ending in `/`), authenticating with `token`.
    ///
    /// # Errors
    /// `Refused` when the URL breaks the outbound rules.
    pub fn new(api_root: &str, token: &str, outbound: Outbound) -> Result<Self, Error> {
        let api_root =
            if api_root.ends_with('/') { api_root.to_owned() } else { format!("{api_root}/") };
        check_url(&api_root, outbound)?;
        Ok(Self {
            agent: agent(outbound, Duration::from_secs(120)),
            api_root,
            authorization: format!("Bearer {token}"),
            outbound,
        })
    }

    fn get(&self, path: &str) -> Result<Vec<u8>, Error> {
        self.get_with_header(path, None).map(|(body, _)| body)
    }

    /// The body at `path`, with the value of the response header `header` if asked for.
    fn get_with_header(
        &self,
        path: &str,
        header: Option<&str>,
    ) -> Result<(Vec<u8>, Option<String>), Error> {
        let url = format!("{}{path}", self.api_root);
        check_url(&url, self.outbound)?;
        let response = self
            .agent
            .get(&url)
            .header("Accept", taxii::media::TAXII_21)
            .header("Authorization", &self.authorization)
            .call()
            .map_err(|e| Error::Transport { url: url.clone(), source: Box::new(e) })?;
        let value = header
            .and_then(|name| response.headers().get(name))
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok((read(url, response)?, value))
    }

    fn post(&self, path: &str, body: &[u8]) -> Result<Vec<u8>, Error> {
        let url = format!("{}{path}", self.api_root);
        check_url(&url, self.outbound)?;
        let response = self
            .agent
            .post(&url)
            .header("Accept", taxii::media::TAXII_21)
            .header("Content-Type", taxii::media::TAXII_21)
            .header("Authorization", &self.authorization)
            .send(body)
            .map_err(|e| Error::Transport { url: url.clone(), source: Box::new(e) })?;
        read(url, response)
    }

    /// The collections this account may see.
    ///
    /// # Errors
    /// Transport, status and protocol errors.
    pub fn collections(&self) -> Result<taxii::Collections, Error> {
        let url = format!("{}collections/", self.api_root);
        let body = self.get("collections/")?;
        parse(&url, &body)
    }

    /// A page of a collection's manifest; `query` is a URL query without `?`.
    ///
    /// # Errors
    /// Transport, status and protocol errors.
    pub fn manifest(&self, collection: &str, query: &str) -> Result<taxii::Manifest, Error> {
        let path = format!("collections/{collection}/manifest/?{query}");
        let body = self.get(&path)?;
        parse(&format!("{}{path}", self.api_root), &body)
    }

    /// A page of a collection's objects; `query` is a URL query without `?`.
    ///
    /// # Errors
    /// Transport, status and protocol errors.
    pub fn objects(&self, collection: &str, query: &str) -> Result<ObjectsPage, Error> {
        let path = format!("collections/{collection}/objects/?{query}");
        let (body, last) = self.get_with_header(&path, Some(DATE_ADDED_LAST))?;
        let mut page: ObjectsPage = parse(&format!("{}{path}", self.api_root), &body)?;
        page.date_added_last = last;
        Ok(page)
    }

    /// Posts an envelope of objects; returns the status.
    ///
    /// # Errors
    /// Transport, status and protocol errors.
    pub fn add_objects(
        &self,
        collection: &str,
        objects: &[&RawValue],
    ) -> Result<taxii::Status, Error> {
        let path = format!("collections/{collection}/objects/");
        let mut body =
            Vec::with_capacity(objects.iter().map(|o| o.get().len() + 1).sum::<usize>() + 16);
        body.extend_from_slice(b"{\"objects\":[");
        for (i, object) in objects.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            body.extend_from_slice(object.get().as_bytes());
        }
        body.extend_from_slice(b"]}");
        let answer = self.post(&path, &body)?;
        parse(&format!("{}{path}", self.api_root), &answer)
    }

    /// The objects the peer erased that this node received from it (a Meridian extension,
    /// `GET {api-root}/erasures/`). A peer that does not publish erasures (404) has none.
    ///
    /// # Errors
    /// Transport, status and protocol errors.
    pub fn erasures(&self) -> Result<Vec<String>, Error> {
        #[derive(serde::Deserialize)]
        struct Notice {
            id: String,
        }
        #[derive(serde::Deserialize)]
        struct Notices {
            #[serde(default)]
            erasures: Vec<Notice>,
        }
        let url = format!("{}erasures/", self.api_root);
        match self.get("erasures/") {
            Ok(body) => {
                Ok(parse::<Notices>(&url, &body)?.erasures.into_iter().map(|n| n.id).collect())
            }
            Err(Error::Status { status: 404, .. }) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// Deletes every version of an object from a collection (TAXII 2.1 §5.7). Returns false
    /// when the peer does not hold it there (404), true when it deleted it.
    ///
    /// # Errors
    /// Transport errors, and statuses other than success and 404.
    pub fn delete_object(&self, collection: &str, object: &str) -> Result<bool, Error> {
        let path = format!("collections/{collection}/objects/{object}/?match[version]=all");
        let url = format!("{}{path}", self.api_root);
        check_url(&url, self.outbound)?;
        let response = self
            .agent
            .delete(&url)
            .header("Accept", taxii::media::TAXII_21)
            .header("Authorization", &self.authorization)
            .call()
            .map_err(|e| Error::Transport { url: url.clone(), source: Box::new(e) })?;
        match read(url, response) {
            Ok(_) => Ok(true),
            Err(Error::Status { status: 404, .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// Fetches documents by URL (a MISP feed's files, a STIX bundle, an IOC list) under the
/// outbound rules: https only unless allowed, no loopback/private/link-local address unless
/// allowed, no redirect followed, a size limit.
pub struct Fetcher {
    agent: ureq::Agent,
    outbound: Outbound,
    headers: Vec<(String, String)>,
    max_body: u64,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Header values may be secrets (API keys): only their names are shown.
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Fetcher")
            .field("outbound", &self.outbound)
            .field("headers", &names)
            .field("max_body", &self.max_body)
            .finish()
    }
}

impl Fetcher {
    /// The default largest document: 1 GiB.
    pub const DEFAULT_MAX_BODY: u64 = 1 << 30;

    /// A fetcher under `outbound`.
    pub fn new(outbound: Outbound) -> Fetcher {
        Fetcher {
            agent: agent(outbound, Duration::from_secs(600)),
            outbound,
            headers: Vec::new(),
            max_body: Self::DEFAULT_MAX_BODY,
        }
    }

    /// Sends this header with every request (e.g. the `Authorization` a feed needs).
    #[must_use]
    pub fn with_header(mut self, name: &str, value: &str) -> Fetcher {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Refuses documents larger than `bytes`.
    #[must_use]
    pub fn with_max_body(mut self, bytes: u64) -> Fetcher {
        self.max_body = bytes;
        self
    }

    /// The body of `url`.
    ///
    /// # Errors
    /// `Refused` by the outbound rules (before any connection), `Redirected`, `Status` for an
    /// error status, `Transport` (including a body over the limit).
    pub fn get(&self, url: &str) -> Result<Vec<u8>, Error> {
        check_url(url, self.outbound)?;
        let mut request = self.agent.get(url);
        for (name, value) in &self.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let response = request
            .call()
            .map_err(|e| Error::Transport { url: url.to_owned(), source: Box::new(e) })?;
        read_limited(url.to_owned(), response, self.max_body)
    }
}

fn read(url: String, response: ureq::http::Response<ureq::Body>) -> Result<Vec<u8>, Error> {
    read_limited(url, response, MAX_BODY)
}

fn read_limited(
    url: String,
    response: ureq::http::Response<ureq::Body>,
    limit: u64,
) -> Result<Vec<u8>, Error> {
    let status = response.status().as_u16();
    if (300..400).contains(&status) {
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("(no Location header)")
            .to_owned();
        return Err(Error::Redirected { url, location });
    }
    let mut body = response.into_body();
    let bytes = body
        .with_config()
        .limit(limit)
        .read_to_vec()
        .map_err(|e| Error::Transport { url: url.clone(), source: Box::new(e) })?;
    if !(200..300).contains(&status) {
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned();
        return Err(Error::Status { url, status, body: text });
    }
    Ok(bytes)
}

fn parse<T: serde::de::DeserializeOwned>(url: &str, body: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(body)
        .map_err(|e| Error::Protocol { url: url.to_owned(), reason: e.to_string() })
}

/// An HTTP agent that keeps the outbound rules: no redirects, bounded time, and a resolver that
/// checks the addresses it hands to the connector. `check_url` resolves before a request to give
/// a clear error; this check is the one that counts, because it runs on the very addresses the
/// connection uses — a DNS answer that changes between the two (rebinding) is refused too.
pub(crate) fn agent(outbound: Outbound, timeout: Duration) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .timeout_connect(Some(Duration::from_secs(10)))
        .build();
    ureq::Agent::with_parts(
        config,
        ureq::unversioned::transport::DefaultConnector::default(),
        CheckedResolver {
            outbound,
            inner: ureq::unversioned::resolver::DefaultResolver::default(),
        },
    )
}

/// Resolves like the default resolver, then refuses special addresses unless allowed.
#[derive(Debug)]
struct CheckedResolver {
    outbound: Outbound,
    inner: ureq::unversioned::resolver::DefaultResolver,
}

impl ureq::unversioned::resolver::Resolver for CheckedResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        let addresses = self.inner.resolve(uri, config, timeout)?;
        if !self.outbound.allow_private
            && let Some(bad) = addresses.iter().find(|a| is_special(&a.ip()))
        {
            return Err(ureq::Error::Io(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!(
                    "{} resolved to {}, a loopback, private or link-local address, when connecting",
                    uri.host().unwrap_or(""),
                    bad.ip()
                ),
            )));
        }
        Ok(addresses)
    }
}

/// Checks a URL against the outbound rules, resolving its host.
///
/// # Errors
/// `Refused` naming the rule.
pub fn check_url(url: &str, outbound: Outbound) -> Result<(), Error> {
    let refuse = |reason: &str| Error::Refused { url: url.to_owned(), reason: reason.to_owned() };
    let (scheme, rest) = url.split_once("://").ok_or_else(|| refuse("not an absolute URL"))?;
    let default_port = match scheme {
        "https" => 443,
        "http" if outbound.allow_http => 80,
        "http" => return Err(refuse("plain http is not allowed for this peer")),
        _ => return Err(refuse("only https (or http where allowed) is supported")),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err(refuse("credentials in the URL are not allowed"));
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, _)) if !h.ends_with(']') && h.contains(':') => (authority, default_port), // bare IPv6
        Some((h, p)) => (h, p.parse::<u16>().map_err(|_| refuse("bad port"))?),
        None => (authority, default_port),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(refuse("no host"));
    }
    let addresses: Vec<IpAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| refuse(&format!("cannot resolve the host: {e}")))?
        .map(|a| a.ip())
        .collect();
    if addresses.is_empty() {
        return Err(refuse("the host resolves to no address"));
    }
    if !outbound.allow_private
        && let Some(bad) = addresses.iter().find(|ip| is_special(ip))
    {
        return Err(refuse(&format!("{bad} is a loopback, private or link-local address")));
    }
    Ok(())
}

/// Loopback, private (RFC 1918, RFC 4193), link-local, unspecified, CGNAT, broadcast,
/// documentation or multicast addresses.
fn is_special(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || o[0] == 0
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || v6.to_ipv4_mapped().is_some_and(|v4| is_special(&IpAddr::V4(v4)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_itself_is_checked_not_only_the_url() {
        // A request that skipped `check_url` (as a rebound DNS name would, in effect) still
        // cannot reach a loopback address: the resolver refuses it before the connection.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        listener.set_nonblocking(true).unwrap_or_else(|e| panic!("{e}"));
        let url = format!(
            "http://{}/meridian/",
            listener.local_addr().map(|a| a.to_string()).unwrap_or_default()
        );
        let strict =
            agent(Outbound { allow_http: true, allow_private: false }, Duration::from_secs(120));
        let err = strict.get(&url).call().map(|_| ()).unwrap_err().to_string();
        assert!(err.contains("127.0.0.1, a loopback, private or link-local address"), "{err}");
        assert!(listener.accept().is_err(), "a connection was made");
        // Allowed for a peer configured so, the same request connects.
        let lab =
            agent(Outbound { allow_http: true, allow_private: true }, Duration::from_secs(120));
        let handle = std::thread::spawn(move || lab.get(&url).call().map(|_| ()));
        let mut connected = false;
        for _ in 0..200 {
            if let Ok((mut stream, _)) = listener.accept() {
                use std::io::Write as _;
                let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n");
                connected = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        assert!(connected, "the allowed request did not connect");
        let _ = handle.join();
    }

    #[test]
    fn a_page_of_objects_says_where_it_ends() {
        use std::io::{Read as _, Write as _};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let address = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
        let server = std::thread::spawn(move || {
            let body = r#"{"more":true,"objects":[{"type":"indicator","id":"indicator--1"}]}"#;
            for last in [Some("2026-01-02T03:04:05.678901Z"), None] {
                let Ok((mut stream, _)) = listener.accept() else { return };
                let mut request = [0_u8; 4096];
                let _ = stream.read(&mut request);
                let header =
                    last.map(|l| format!("{DATE_ADDED_LAST}: {l}\r\n")).unwrap_or_default();
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: {}\r\ncontent-length: {}\r\nconnection: close\r\n{header}\r\n{body}",
                    taxii::media::TAXII_21,
                    body.len()
                );
            }
        });
        let client = Client::new(
            &format!("http://{address}/meridian/"),
            "mrd_token",
            Outbound { allow_http: true, allow_private: true },
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let page = client.objects("feed", "limit=1").unwrap_or_else(|e| panic!("{e}"));
        assert!(page.more);
        assert_eq!(page.objects.len(), 1);
        assert_eq!(page.date_added_last.as_deref(), Some("2026-01-02T03:04:05.678901Z"));
        let page = client.objects("feed", "limit=1").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(page.date_added_last, None);
        let _ = server.join();
    }

    #[test]
    fn outbound_rules() {
        let strict = Outbound::default();
        assert!(check_url("http://127.0.0.1:8080/meridian/", strict).is_err());
        assert!(
            check_url("https://127.0.0.1:8080/meridian/", strict)
                .unwrap_err()
                .to_string()
                .contains("loopback")
        );
        assert!(check_url("https://10.1.2.3/x/", strict).is_err());
        assert!(check_url("https://[::1]:8443/x/", strict).is_err());
        assert!(check_url("https://[fe80::1]/x/", strict).is_err());
        assert!(check_url("https://user:pw@203.0.113.9/x/", strict).is_err());
        assert!(check_url("ftp://203.0.113.9/x/", strict).is_err());
        let lab = Outbound { allow_http: true, allow_private: true };
        assert!(check_url("http://127.0.0.1:8080/meridian/", lab).is_ok());
        assert!(is_special(&"100.64.1.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))));
        assert!(!is_special(&"8.8.8.8".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))));
    }

    /// Serves one connection with `reply` and returns the request it read.
    fn serve_once(reply: &'static str) -> (String, std::thread::JoinHandle<String>) {
        use std::io::{Read as _, Write as _};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let base = format!("http://{}", listener.local_addr().unwrap_or_else(|e| panic!("{e}")));
        let handle = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap_or_else(|e| panic!("{e}"));
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.ends_with(b"\r\n\r\n") {
                let n = stream.read(&mut buf).unwrap_or(0);
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buf[..n]);
            }
            let _ = stream.write_all(reply.as_bytes());
            String::from_utf8_lossy(&request).into_owned()
        });
        (base, handle)
    }

    #[test]
    fn fetches_send_headers_and_never_follow_redirects() {
        let lab = Outbound { allow_http: true, allow_private: true };
        let (base, server) =
            serve_once("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
        let fetcher = Fetcher::new(lab).with_header("Authorization", "Bearer secret-key");
        let body = fetcher.get(&format!("{base}/feed/manifest.json"));
        assert_eq!(body.unwrap_or_default(), b"hello");
        let request = server.join().unwrap_or_default();
        assert!(request.starts_with("GET /feed/manifest.json "), "{request}");
        assert!(request.contains("Bearer secret-key"), "{request}");
        assert!(!format!("{fetcher:?}").contains("secret-key"), "header values are not shown");

        let (base, server) = serve_once(
            "HTTP/1.1 302 Found\r\nLocation: http://10.0.0.1/internal\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        let redirected = Fetcher::new(lab).get(&format!("{base}/x")).map(|_| ());
        let _ = server.join();
        assert!(
            redirected.is_err_and(|e| matches!(&e, Error::Redirected { location, .. } if location == "http://10.0.0.1/internal")
                && e.to_string().contains("not followed"))
        );

        let (base, server) =
            serve_once("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
        let limited = Fetcher::new(lab).with_max_body(4).get(&format!("{base}/big"));
        let _ = server.join();
        assert!(limited.is_err());
        // Without the allowances nothing is fetched from loopback.
        let refused = Fetcher::new(Outbound { allow_http: true, allow_private: false })
            .get("http://127.0.0.1:9/feed/");
        assert!(refused.is_err_and(|e| matches!(e, Error::Refused { .. })));
    }
}
