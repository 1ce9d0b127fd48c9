//! `meridian import URL`: a MISP feed (manifest, then each event), a STIX bundle and IOC text
//! fetched from a small HTTP server on loopback, with the same result as the local files; and
//! the outbound rules: plain http, loopback addresses and redirects are refused with a clear
//! message unless allowed, before any request is sent.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::store_match::run as meridian;

/// A static file server on 127.0.0.1 for `root`; `/moved/…` answers 302 to an internal
/// address. Counts the requests it receives; the thread ends with the test process.
struct FileServer {
    base: String,
    requests: Arc<AtomicUsize>,
}

impl FileServer {
    fn start(root: PathBuf) -> FileServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
        let base = format!("http://{}", listener.local_addr().expect("an address"));
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                counter.fetch_add(1, Ordering::SeqCst);
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut line = String::new();
                let _ = reader.read_line(&mut line);
                // Skip the headers.
                let mut header = String::new();
                while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                    header.clear();
                }
                let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let reply = if path.starts_with("/moved/") {
                    "HTTP/1.1 302 Found\r\nLocation: http://10.0.0.1/feed/\r\nContent-Length: 0\r\n\r\n"
                        .as_bytes()
                        .to_vec()
                } else {
                    let file = root.join(path.trim_start_matches('/'));
                    match std::fs::read(&file) {
                        Ok(body) => {
                            let mut reply = format!(
                                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                                body.len()
                            )
                            .into_bytes();
                            reply.extend(body);
                            reply
                        }
                        Err(_) => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec(),
                    }
                };
                let _ = stream.write_all(&reply);
            }
        });
        FileServer { base, requests }
    }
}

/// `created N` from an import's report line for `input`.
fn created(stderr: &str, input: &str) -> usize {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{input}: created ")))
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no report for {input} in\n{stderr}"))
}

fn ids(bundle: &str) -> Vec<String> {
    let value: serde_json::Value = serde_json::from_str(bundle).expect("a bundle");
    let mut ids: Vec<String> = value["objects"]
        .as_array()
        .map(|o| o.iter().filter_map(|x| x["id"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    ids.sort();
    ids
}

const ALLOW: [&str; 2] = ["--allow-plain-http", "--allow-private-addresses"];

#[test]
fn feeds_bundles_and_lists_import_by_url_like_local_files() {
    let data = test_support::test_data();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("iocs.txt"),
        "Seen: hxxps://gate.kestrel[.]example/p.php from 198.51.100[.]23 and evil(dot)example\n",
    )
    .expect("text written");
    let server = FileServer::start(data.clone());
    let text_server = FileServer::start(dir.path().to_owned());
    let cases = [
        (format!("{}/misp/feed/", server.base), data.join("misp/feed")),
        (format!("{}/misp/feed/manifest.json", server.base), data.join("misp/feed")),
        (
            format!("{}/stix/valid/bundle-kestrelnet-c2-report.json", server.base),
            data.join("stix/valid/bundle-kestrelnet-c2-report.json"),
        ),
        (format!("{}/iocs.txt", text_server.base), dir.path().join("iocs.txt")),
    ];
    for (url, local) in cases {
        let local = local.display().to_string();
        let (code, from_file, file_err) = meridian(&["import", &local]);
        assert_eq!(code, Some(0), "{file_err}");
        let (code, from_url, url_err) = meridian(&["import", ALLOW[0], ALLOW[1], &url]);
        assert_eq!(code, Some(0), "{url}: {url_err}");
        assert_eq!(created(&url_err, &url), created(&file_err, &local), "{url}");
        assert!(created(&url_err, &url) > 0);
        assert_eq!(ids(&from_url), ids(&from_file), "{url}");
    }
    // The feed (named by --format without the trailing slash): the manifest, then its events.
    let before = server.requests.load(Ordering::SeqCst);
    let url = format!("{}/misp/feed", server.base);
    let (code, _, stderr) =
        meridian(&["import", "--format", "misp-feed", ALLOW[0], ALLOW[1], &url]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(server.requests.load(Ordering::SeqCst) - before, 3);
}

#[test]
fn urls_are_refused_by_the_outbound_rules_before_any_request() {
    let server = FileServer::start(test_support::test_data());
    let feed = format!("{}/misp/feed/", server.base);
    let (code, _, stderr) = meridian(&["import", &feed]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("plain http is not allowed"), "{stderr}");
    assert!(stderr.contains("--allow-plain-http"), "{stderr}");
    let (code, _, stderr) = meridian(&["import", "--allow-plain-http", &feed]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("127.0.0.1 is a loopback, private or link-local address"), "{stderr}");
    assert!(stderr.contains("--allow-private-addresses"), "{stderr}");
    let https = feed.replacen("http://", "https://", 1);
    let (code, _, stderr) = meridian(&["import", &https]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("loopback"), "{stderr}");
    assert_eq!(server.requests.load(Ordering::SeqCst), 0, "a refused URL was requested");
    // A redirect is not followed, even to where the rules would allow.
    let (code, _, stderr) =
        meridian(&["import", ALLOW[0], ALLOW[1], &format!("{}/moved/feed/", server.base)]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("redirects to http://10.0.0.1/feed/"), "{stderr}");
    assert!(stderr.contains("not followed"), "{stderr}");
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
}
