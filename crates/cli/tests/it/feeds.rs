//! Exports from the node and its feeds, end to end: `meridian export --data` per collection
//! with the node's warninglists, and `/feeds/…` of a running `meridian serve` over a real socket
//! (ETag, 304, HEAD with its length, and `meridian import` of a feed URL with a token header).

use crate::store_match::run as meridian;
use crate::taxii_client::{ADMIN_TOKEN, start_node};
use std::io::{Read as _, Write as _};

/// One HTTP/1.1 request over a fresh connection: (status, headers in lower case, body).
pub(crate) fn http(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let address = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("connects");
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).expect("request sent");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("reply read");
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a reply head");
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    if header(&headers, "transfer-encoding") == Some("chunked") {
        body = unchunk(&body);
    }
    (status, headers, body)
}

pub(crate) fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn unchunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = body.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(std::str::from_utf8(&body[..line_end]).unwrap_or("0"), 16)
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&body[line_end + 2..line_end + 2 + size]);
        body = &body[line_end + 2 + size + 2..];
    }
    out
}

#[test]
fn feeds_over_http_and_node_exports_per_collection() {
    let node = start_node(true);
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    let path = "/feeds/shared-indicators/plain";
    let (status, headers, body) = http(&node.base, "GET", path, &[("Authorization", &bearer)]);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert!(!body.is_empty());
    let etag = header(&headers, "etag").expect("an ETag").to_owned();
    let (status, headers, body_304) =
        http(&node.base, "GET", path, &[("Authorization", &bearer), ("If-None-Match", &etag)]);
    assert_eq!(status, 304);
    assert!(body_304.is_empty());
    assert_eq!(header(&headers, "etag"), Some(etag.as_str()));
    // HEAD: the headers of the GET, the length of its body, no body.
    let (status, headers, head_body) =
        http(&node.base, "HEAD", path, &[("Authorization", &bearer)]);
    assert_eq!(status, 200);
    assert!(head_body.is_empty());
    assert_eq!(header(&headers, "content-length"), Some(body.len().to_string().as_str()));
    let (status, _, _) = http(&node.base, "GET", path, &[]);
    assert_eq!(status, 401);
    // Another node (or this one) imports the feed by URL, with the token in a header.
    let url = format!("{}/feeds/shared-indicators/stix", node.base);
    let (code, bundle, stderr) = meridian(&[
        "import",
        "--allow-plain-http",
        "--allow-private-addresses",
        "--url-header",
        &format!("Authorization: {bearer}"),
        &url,
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(bundle.contains("c2-green-"), "{stderr}");
    assert!(!stderr.contains(ADMIN_TOKEN), "the header value was printed");
    let (code, _, stderr) =
        meridian(&["import", "--allow-plain-http", "--allow-private-addresses", &url]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("answered 401"), "{stderr}");

    let data = node.dir.path().display().to_string();
    // A collection the recipient may not read is refused like an unknown one.
    for collection in ["us-cert-internal", "no-such-collection"] {
        let (code, _, stderr) = meridian(&[
            "export",
            "--format",
            "plain",
            "--data",
            &data,
            "--user",
            "de-analyst",
            "--collection",
            collection,
        ]);
        assert_eq!(code, Some(2));
        assert!(
            stderr.contains(&format!("no collection `{collection}` that the recipient may read")),
            "{stderr}"
        );
    }
    // The node's warninglists (DATA/warninglists/*.json) keep values out of enforcement exports.
    let lists = node.dir.path().join("warninglists");
    std::fs::create_dir_all(&lists).expect("mkdir");
    std::fs::write(
        lists.join("sinkholes.json"),
        r#"{"name": "Known sinkholes", "type": "hostname", "list": ["c2-green-3.de-cert-constituents.kestrel.example"]}"#,
    )
    .expect("warninglist written");
    let (code, listed, stderr) = meridian(&[
        "export",
        "--format",
        "plain",
        "--type",
        "domain",
        "--data",
        &data,
        "--user",
        "energy-analyst",
        "--collection",
        "de-cert-constituents",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(listed.contains("c2-green-2.de-cert-constituents.kestrel.example"), "{listed}");
    assert!(!listed.contains("c2-green-3.de-cert-constituents"), "a warninglisted value went out");
    assert!(!listed.contains("us-cert"), "another collection's values went out:\n{listed}");
    assert!(!listed.contains("c2-red-"));
    assert!(stderr.contains("1 on a warninglist"), "{stderr}");
    // The lists are read when an export needs them: a broken one stops exports, naming the
    // file, and nothing else.
    let broken = lists.join("zz-broken.json");
    std::fs::write(&broken, "{not json").expect("broken list written");
    let (code, _, stderr) =
        meridian(&["export", "--format", "plain", "--data", &data, "--user", "energy-analyst"]);
    assert_ne!(code, Some(0));
    assert!(stderr.contains("zz-broken.json"), "{stderr}");
    assert!(!stderr.contains("store"), "a bad list is not a store failure: {stderr}");
    let (code, _, stderr) = meridian(&["review", "list", "--data", &data]);
    assert_eq!(code, Some(0), "{stderr}");
    std::fs::remove_file(&broken).expect("broken list removed");
    // The RPZ serial of node exports follows the content through --serial-file.
    let state = node.dir.path().join("rpz.serial").display().to_string();
    let zone = |now: &str| {
        let (code, zone, stderr) = meridian(&[
            "export",
            "--format",
            "rpz",
            "--data",
            &data,
            "--user",
            "de-analyst",
            "--collection",
            "shared-indicators",
            "--serial-file",
            &state,
            "--now",
            now,
        ]);
        assert_eq!(code, Some(0), "{stderr}");
        let serial: u32 = zone
            .lines()
            .find_map(|l| l.strip_prefix("@ SOA "))
            .and_then(|soa| soa.split_whitespace().nth(2))
            .and_then(|s| s.parse().ok())
            .expect("a SOA serial");
        (serial, zone)
    };
    let (first, _) = zone("2026-08-01T00:00:00Z");
    assert_eq!(zone("2026-08-02T00:00:00Z").0, first, "same content, same serial");
    let report = node.dir.path().join("new.txt");
    std::fs::write(&report, "New C2: fresh-c2.kestrel[.]example\n").expect("written");
    let (code, _, stderr) = meridian(&[
        "import",
        "--data",
        &data,
        "--user",
        "de-analyst",
        "--collection",
        "shared-indicators",
        "--tlp",
        "green",
        &report.display().to_string(),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let (next, zone_text) = zone("2026-08-03T00:00:00Z");
    assert!(zone_text.contains("fresh-c2.kestrel.example CNAME ."), "{zone_text}");
    assert!(next > first, "{next} after {first}");
    // Directory formats from the node.
    let out = node.dir.path().join("suricata-out");
    let out_arg = out.display().to_string();
    let (code, _, stderr) = meridian(&[
        "export",
        "--format",
        "suricata",
        "--data",
        &data,
        "--user",
        "energy-analyst",
        "--collection",
        "de-cert-constituents",
        "-o",
        &out_arg,
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let rules = std::fs::read_to_string(out.join("meridian.rules")).expect("rules written");
    assert!(rules.contains("dataset:isset,meridian-domains"), "{rules}");
    assert!(out.join("meridian-domains.lst").exists());
}
