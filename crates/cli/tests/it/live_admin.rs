//! Administration of a running node: the admin commands run as their own processes on the data
//! directory of a running `meridian serve`, and every change — a new organisation, user and
//! token, a grant, its revocation, a token revocation — applies to the server's next request
//! (the server caches the directory and must notice changes made by another process).

use std::io::{Read as _, Write as _};
use std::process::Command;

use crate::taxii_client::{ADMIN_TOKEN, RunningNode, start_node};

/// Runs `meridian ARGS --data DIR` to completion; returns its standard output.
fn admin(node: &RunningNode, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_meridian"))
        .args(args)
        .arg("--data")
        .arg(node.dir.path())
        .output()
        .expect("meridian runs");
    assert!(out.status.success(), "meridian {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The HTTP status of `GET path` with a Bearer token (HTTP/1.1, one connection per request).
fn status(node: &RunningNode, path: &str, token: &str) -> u16 {
    let address = node.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("the node accepts connections");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nAccept: application/taxii+json;version=2.1\r\n\
         Authorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .expect("request sent");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("reply read");
    reply
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP reply: {reply}"))
}

#[test]
fn admin_commands_apply_to_the_running_servers_next_request() {
    let node = start_node(false);
    let collections = "/meridian/collections/";
    let coll = "/meridian/collections/late-coll/";
    // The server has served (and cached) the directory before every change below.
    assert_eq!(status(&node, collections, ADMIN_TOKEN), 200);

    admin(&node, &["org", "add", "late-org", "--jurisdiction", "DE"]);
    admin(&node, &["user", "add", "late-user", "--org", "late-org"]);
    let created = admin(&node, &["token", "create", "late-user", "--label", "live"]);
    let token = created.lines().last().map(str::trim).expect("the token is printed").to_owned();
    assert_eq!(status(&node, collections, &token), 200, "a new user's token works at once");

    admin(&node, &["collection", "add", "late-coll"]);
    assert_eq!(status(&node, coll, ADMIN_TOKEN), 200);
    assert_eq!(status(&node, coll, &token), 404, "no grant yet");
    admin(&node, &["collection", "grant", "late-coll", "org:late-org", "--read"]);
    assert_eq!(status(&node, coll, &token), 200, "the grant applies at once");
    assert_eq!(status(&node, &format!("{coll}objects/"), &token), 200);
    admin(&node, &["collection", "revoke", "late-coll", "org:late-org"]);
    assert_eq!(status(&node, coll, &token), 404, "the revocation applies at once");
    assert_eq!(status(&node, &format!("{coll}objects/"), &token), 404);

    let listed = admin(&node, &["token", "list", "late-user"]);
    let id = listed.split_whitespace().next().expect("the token is listed").to_owned();
    admin(&node, &["token", "revoke", &id]);
    assert_eq!(status(&node, collections, &token), 401, "a revoked token stops at once");
    assert_eq!(status(&node, collections, ADMIN_TOKEN), 200);
}
