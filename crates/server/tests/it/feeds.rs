//! The feeds under `/feeds/{collection}/{format}`: content per token as the sharing policy
//! decides (the caller's TAXII view minus what no export may carry), never TLP:RED, expired,
//! revoked, exercise or warninglisted values; `ETag` / `If-None-Match`; 404s that reveal nothing;
//! authentication; the disclosure ledger; the RPZ serial; BIND's `named-checkzone` on a feed.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};

use crate::support::{Fixture, Reply, fixture};

fn get(path: &str, authorization: Option<&str>, headers: &[(&str, &str)]) -> Request<Body> {
    let mut request = Request::get(path);
    if let Some(authorization) = authorization {
        request = request.header("authorization", authorization);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(Body::empty()).expect("request builds")
}

impl Fixture {
    async fn feed(&self, path: &str, user: &str) -> Reply {
        self.send(get(path, Some(&self.bearer(user)), &[])).await
    }

    /// The feed ledger entries of `user`: (object id, version).
    fn feed_records(&self, user: &str) -> Vec<(String, String)> {
        crate::support::disclosed_to(&self.ledger, user)
            .into_iter()
            .filter(|e| e.disclosure.channel == "feed")
            .map(|e| (e.disclosure.object_id, e.disclosure.version))
            .collect()
    }
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

/// The values in the STIX patterns of `indicators` (`… :value = 'x'`).
fn pattern_values(indicators: &[Value]) -> BTreeSet<String> {
    let mut values = BTreeSet::new();
    for indicator in indicators {
        let pattern = indicator["pattern"].as_str().unwrap_or("");
        for part in pattern.split("value = '").skip(1) {
            values.insert(part.split('\'').next().unwrap_or("").to_owned());
        }
    }
    values
}

fn is_red(object: &Value) -> bool {
    let red = stix::Tlp::Red.marking_id();
    object["object_marking_refs"].as_array().is_some_and(|m| m.iter().any(|r| r == red))
}

/// The indicators `user` reads from `collection` over TAXII.
async fn taxii_indicators(f: &Fixture, collection: &str, user: &str) -> Vec<Value> {
    let reply = f
        .get(
            &format!(
                "/meridian/collections/{collection}/objects/?limit=1000&match[type]=indicator"
            ),
            user,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["more"], false, "one page holds the collection");
    reply.json()["objects"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn each_token_gets_its_taxii_view_without_what_no_export_may_carry() {
    let f = fixture();
    let mut feeds = Vec::new();
    for user in ["us-analyst", "de-analyst", "energy-analyst"] {
        let indicators = taxii_indicators(&f, "shared-indicators", user).await;
        let exportable: Vec<Value> = indicators.iter().filter(|i| !is_red(i)).cloned().collect();
        let reply = f.feed("/feeds/shared-indicators/plain", user).await;
        assert_eq!(reply.status, StatusCode::OK, "{user}: {}", reply.text());
        assert_eq!(reply.header("content-type"), "text/plain; charset=utf-8");
        let listed: BTreeSet<String> = reply.text().lines().map(str::to_owned).collect();
        assert_eq!(listed, pattern_values(&exportable), "{user}");
        assert!(!reply.text().contains("c2-red-"), "TLP:RED reached {user}'s feed");
        feeds.push((user, indicators, listed));
    }
    // The policy gives de-analyst its organisation's RED indicators over TAXII (named
    // recipient); the feed still leaves them out.
    assert!(feeds[1].1.iter().any(is_red), "precondition: de-analyst reads RED over TAXII");
    // The same user through another token (read scope) gets the same bytes.
    let again = f.feed("/feeds/shared-indicators/plain", "de-reader").await;
    let listed: BTreeSet<String> = again.text().lines().map(str::to_owned).collect();
    assert_eq!(listed, feeds[1].2);
}

#[tokio::test]
async fn a_collection_the_caller_may_not_read_is_answered_like_one_that_does_not_exist() {
    let f = fixture();
    let hidden = f.feed("/feeds/us-cert-internal/rpz", "de-analyst").await;
    let absent = f.feed("/feeds/no-such-collection/rpz", "de-analyst").await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    assert_eq!(absent.status, StatusCode::NOT_FOUND);
    let without_id = |reply: &Reply| {
        let mut v = reply.json();
        v.as_object_mut().map(|m| m.remove("error_id"));
        v
    };
    assert_eq!(without_id(&hidden), without_id(&absent));
    let names = |reply: &Reply| reply.headers.keys().map(|k| k.to_string()).collect::<Vec<_>>();
    assert_eq!(names(&hidden), names(&absent));
    assert!(f.feed_records("de-analyst").is_empty());
    // Its owner reads it.
    let own = f.feed("/feeds/us-cert-internal/plain", "us-analyst").await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(own.text().contains("us-internal.kestrel.example"), "{}", own.text());
    assert!(!own.text().contains("c2-red-"));
}

#[tokio::test]
async fn etag_if_none_match_and_the_ledger() {
    let f = fixture();
    let path = "/feeds/shared-indicators/rpz";
    let first = f.feed(path, "energy-analyst").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.header("content-type"), "text/dns");
    assert!(first.header("cache-control").contains("private"));
    assert_eq!(first.header("vary"), "Authorization");
    let etag = first.header("etag").to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"') && etag.len() == 66, "{etag}");
    // Every indicator in the zone is recorded once, as the version disclosed; none is RED.
    let recorded = f.feed_records("energy-analyst");
    let indicators = taxii_indicators(&f, "shared-indicators", "energy-analyst").await;
    let expected: BTreeSet<(String, String)> = indicators
        .iter()
        .filter(|i| !is_red(i))
        .map(|i| {
            (
                i["id"].as_str().unwrap_or("").to_owned(),
                i["modified"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(recorded.iter().cloned().collect::<BTreeSet<_>>(), expected);
    assert_eq!(recorded.len(), expected.len());
    let total = f.ledger.verify().expect("intact");
    let feed_total = recorded.len();

    // Unchanged content: 304, no body, the same tag, nothing recorded.
    for tag in [etag.clone(), format!("W/{etag}"), format!("\"other\", {etag}"), "*".into()] {
        let request = get(path, Some(&f.bearer("energy-analyst")), &[("if-none-match", &tag)]);
        let reply = f.send(request).await;
        assert_eq!(reply.status, StatusCode::NOT_MODIFIED, "{tag}");
        assert!(reply.body.is_empty());
        assert_eq!(reply.header("etag"), etag);
        assert!(reply.header("cache-control").contains("private"));
        assert_eq!(reply.header("content-type"), "");
    }
    // HEAD discloses nothing either, and announces the length.
    let head = f
        .send(
            Request::head(path)
                .header("authorization", f.bearer("energy-analyst"))
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-length"), first.body.len().to_string());
    assert_eq!(head.header("etag"), etag);
    assert_eq!(f.ledger.verify().expect("intact"), total, "a 304 or HEAD recorded a disclosure");

    // Another tag gets the full body again, recorded again.
    let request = get(path, Some(&f.bearer("energy-analyst")), &[("if-none-match", "\"other\"")]);
    let full = f.send(request).await;
    assert_eq!(full.status, StatusCode::OK);
    assert_eq!(full.body, first.body);
    assert_eq!(f.feed_records("energy-analyst").len(), feed_total * 2);
}

#[tokio::test]
async fn what_the_policy_redacts_differs_per_caller_and_so_does_the_etag() {
    let f = fixture();
    post(
        &f,
        vec![indicator(
            9,
            "[domain-name:value = 'mail-c2.kestrel.example']",
            json!({"description": "Phishing run; call-back number +49 170 1234567"}),
        )],
    )
    .await;
    let path = "/feeds/shared-indicators/stix";
    let own = f.feed(path, "us-analyst").await;
    let de = f.feed(path, "de-analyst").await;
    let energy = f.feed(path, "energy-analyst").await;
    // The submitting organisation gets its text; the others get it minimised (a phone number).
    assert!(own.text().contains("+49 170 1234567"));
    for other in [&de, &energy] {
        assert!(other.text().contains("mail-c2.kestrel.example"));
        assert!(!other.text().contains("1234567"), "{}", other.text());
    }
    assert_ne!(own.header("etag"), de.header("etag"));
    // The tag is the body's: the same bytes for two organisations give the same tag.
    assert_eq!(de.body, energy.body);
    assert_eq!(de.header("etag"), energy.header("etag"));
    // The ledger says what was done to the object for each recipient.
    let transform = |user: &str| {
        f.ledger
            .entries(&store::LedgerFilter {
                recipient: Some(format!("user:{user}")),
                object_id: Some("indicator--0b1c2d3e-4f50-4a6b-8c7d-000000000009".into()),
                ..Default::default()
            })
            .expect("ledger reads")
            .into_iter()
            .map(|e| (e.disclosure.channel, e.disclosure.transform.unwrap_or_default()))
            .collect::<Vec<_>>()
    };
    assert_eq!(transform("us-analyst"), [("feed".to_owned(), "stix".to_owned())]);
    let de_records = transform("de-analyst");
    assert_eq!(de_records.len(), 1);
    assert!(de_records[0].1.starts_with("stix; ") && de_records[0].1.contains("redaction"));
}

/// The SOA serial of a zone.
fn serial(zone: &str) -> u32 {
    zone.lines()
        .find_map(|l| l.strip_prefix("@ SOA "))
        .and_then(|soa| soa.split_whitespace().nth(2))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no SOA serial in\n{zone}"))
}

fn indicator(n: u32, pattern: &str, extra: Value) -> Value {
    let mut object = json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--0b1c2d3e-4f50-4a6b-8c7d-{n:012}"),
        "created": "2026-07-01T00:00:00.000Z", "modified": "2026-07-01T00:00:00.000Z",
        "pattern": pattern, "pattern_type": "stix", "valid_from": "2026-07-01T00:00:00Z",
        "object_marking_refs": [stix::Tlp::Green.marking_id()]
    });
    if let (Some(o), Some(extra)) = (object.as_object_mut(), extra.as_object()) {
        o.extend(extra.clone());
    }
    object
}

async fn post(f: &Fixture, objects: Vec<Value>) {
    let posted = f
        .call(
            "POST",
            "/meridian/collections/shared-indicators/objects/",
            Some("us-analyst"),
            Some(json!({ "objects": objects })),
        )
        .await;
    assert_eq!(posted.status, StatusCode::ACCEPTED);
    assert_eq!(posted.json()["failure_count"], 0, "{}", posted.json());
}

#[tokio::test]
async fn the_rpz_serial_stays_while_the_content_does_and_grows_when_it_changes() {
    let f = fixture();
    let path = "/feeds/shared-indicators/rpz";
    let first = f.feed(path, "us-analyst").await;
    let again = f.feed(path, "us-analyst").await;
    assert_eq!(serial(&first.text()), serial(&again.text()));
    assert_eq!(first.body, again.body);
    assert_eq!(first.header("etag"), again.header("etag"));
    // Each option set keeps its own serial, so polling one does not move the other.
    let nodata = f.feed(&format!("{path}?action=nodata"), "us-analyst").await;
    assert!(nodata.text().contains("CNAME *."));
    assert_eq!(f.feed(path, "us-analyst").await.body, first.body);

    post(&f, vec![indicator(1, "[domain-name:value = 'fresh-c2.kestrel.example']", json!({}))])
        .await;
    let changed = f
        .send(get(path, Some(&f.bearer("us-analyst")), &[("if-none-match", first.header("etag"))]))
        .await;
    assert_eq!(changed.status, StatusCode::OK, "new content is not a 304");
    assert!(changed.text().contains("fresh-c2.kestrel.example CNAME ."));
    assert!(serial(&changed.text()) > serial(&first.text()));
    assert_ne!(changed.header("etag"), first.header("etag"));
    let stable = f.feed(path, "us-analyst").await;
    assert_eq!(serial(&stable.text()), serial(&changed.text()));
}

#[tokio::test]
async fn no_feed_format_carries_red_expired_revoked_exercise_or_warninglisted_values() {
    let f = fixture();
    let revoked = indicator(4, "[domain-name:value = 'revoked-canary.example']", json!({}));
    let mut revoked_v2 = revoked.clone();
    revoked_v2["modified"] = json!("2026-07-02T00:00:00.000Z");
    revoked_v2["revoked"] = json!(true);
    post(
        &f,
        vec![
            indicator(2, "[domain-name:value = 'google.com']", json!({})),
            indicator(
                3,
                "[domain-name:value = 'expired-canary.example']",
                json!({"valid_until": "2026-07-02T00:00:00Z"}),
            ),
            revoked,
            indicator(
                5,
                "[domain-name:value = 'exercise-canary.example']",
                json!({"labels": ["meridian:exercise"]}),
            ),
            indicator(6, "[domain-name:value = 'fine-c2.kestrel.example']", json!({})),
        ],
    )
    .await;
    post(&f, vec![revoked_v2]).await;
    // Warninglists keep values out of enforcement formats only: a STIX or MISP export shares
    // the intelligence, it does not block anything.
    let never = ["c2-red-", "expired-canary", "revoked-canary", "exercise-canary"];
    // Suricata's domain dataset holds base64.
    let mut never_in_enforcement = vec!["google.com".to_owned()];
    {
        use base64::Engine as _;
        for value in ["google.com", "expired-canary.example", "revoked-canary.example"] {
            never_in_enforcement.push(base64::engine::general_purpose::STANDARD.encode(value));
        }
    }
    let expected_types = [
        ("stix", "application/stix+json;version=2.1"),
        ("misp", "application/json"),
        ("rpz", "text/dns"),
        ("csv", "text/csv; charset=utf-8; header=present"),
        ("zeek", "text/plain; charset=utf-8"),
        ("nft", "text/plain; charset=utf-8"),
        ("suricata-rules", "text/plain; charset=utf-8"),
    ];
    for (name, _) in service::export::Format::FEEDS {
        for user in ["us-analyst", "de-analyst"] {
            let reply = f.feed(&format!("/feeds/shared-indicators/{name}"), user).await;
            assert_eq!(reply.status, StatusCode::OK, "{name} {user}: {}", reply.text());
            let text = reply.text();
            let enforcement = !["stix", "misp"].contains(&name);
            let extra = if enforcement { never_in_enforcement.as_slice() } else { &[] };
            for needle in never.iter().copied().chain(extra.iter().map(String::as_str)) {
                assert!(!text.contains(needle), "{name} for {user} carries {needle}:\n{text}");
            }
            if let Some((_, media_type)) = expected_types.iter().find(|(n, _)| *n == name) {
                assert_eq!(reply.header("content-type"), *media_type, "{name}");
            }
        }
    }
    // What is allowed does arrive, in every enforcement list that takes domains.
    for name in ["rpz", "plain", "csv", "zeek"] {
        let reply = f.feed(&format!("/feeds/shared-indicators/{name}"), "de-analyst").await;
        assert!(reply.text().contains("fine-c2.kestrel.example"), "{name}: {}", reply.text());
    }
    // The sharing formats carry no object marked RED (the TLP:RED definition itself is public).
    for user in ["us-analyst", "de-analyst"] {
        let bundle: Value =
            serde_json::from_slice(&f.feed("/feeds/shared-indicators/stix", user).await.body)
                .expect("a JSON bundle");
        assert_eq!(bundle["type"], "bundle");
        let objects = bundle["objects"].as_array().cloned().unwrap_or_default();
        assert!(objects.iter().any(|o| o["type"] == "indicator"));
        assert!(!objects.iter().any(is_red), "a RED object in {user}'s bundle");
        let events = f.feed("/feeds/shared-indicators/misp", user).await;
        let parsed: Value = serde_json::from_slice(&events.body).expect("JSON events");
        assert!(parsed.as_array().is_some_and(|e| !e.is_empty()));
        assert!(!events.text().to_ascii_lowercase().contains("tlp:red"), "{user}");
    }
}

#[tokio::test]
async fn feeds_authenticate_like_taxii() {
    use base64::Engine as _;
    let f = fixture();
    let path = "/feeds/shared-indicators/plain";
    let anonymous = f.send(get(path, None, &[])).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert!(anonymous.header("www-authenticate").contains("Bearer"));
    let forged = f.send(get(path, Some("Bearer mrd_not-a-real-token-at-all-000000"), &[])).await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    let token = &f.tokens["de-analyst"];
    let basic = |user: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{token}"))
        )
    };
    assert_eq!(f.send(get(path, Some(&basic("de-analyst")), &[])).await.status, StatusCode::OK);
    assert_eq!(
        f.send(get(path, Some(&basic("us-analyst")), &[])).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Never from the query.
    let in_query = f.send(get(&format!("{path}?token={token}"), None, &[])).await;
    assert_eq!(in_query.status, StatusCode::UNAUTHORIZED);
    assert!(!f.feed_records("de-analyst").is_empty(), "the Basic request was recorded");
}

#[tokio::test]
async fn bad_formats_parameters_and_methods_get_clear_errors() {
    let f = fixture();
    // An unknown format is 404 naming the formats, the same for a hidden collection.
    let unknown = f.feed("/feeds/shared-indicators/bind", "de-analyst").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let description = unknown.json()["description"].as_str().unwrap_or("").to_owned();
    assert!(
        description.contains("no feed format `bind`") && description.contains("rpz"),
        "{description}"
    );
    let hidden = f.feed("/feeds/us-cert-internal/bind", "de-analyst").await;
    assert_eq!(hidden.json()["description"], unknown.json()["description"]);
    // Bad parameters are 400 with the reason, checked before the collection.
    for (query, expected) in [
        ("rpz?min_confidence=high", "min_confidence"),
        ("rpz?since=yesterday", "since"),
        ("rpz?prefix=x", "has no parameter `prefix`"),
        ("rpz?action=nodata&action=nxdomain", "more than once"),
        ("rpz?walled_garden=bad..name", "walled-garden"),
        ("suricata-rules?sid_range=10-9", "sid range"),
        ("nft?family=arp", "family"),
        ("plain?type=onion", "type"),
    ] {
        for collection in ["shared-indicators", "us-cert-internal"] {
            let reply = f.feed(&format!("/feeds/{collection}/{query}"), "de-analyst").await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{collection}/{query}");
            let description = reply.json()["description"].as_str().unwrap_or("").to_owned();
            assert!(description.contains(expected), "{query}: {description}");
        }
    }
    let post = f
        .send(
            Request::post("/feeds/shared-indicators/rpz")
                .header("authorization", f.bearer("de-analyst"))
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(f.feed_records("de-analyst").is_empty());
}

#[tokio::test]
async fn named_checkzone_loads_a_feed_zone() {
    if !oracle("named-checkzone") {
        return;
    }
    let f = fixture();
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, path) in [
        ("plain.rpz", "/feeds/shared-indicators/rpz"),
        (
            "garden.rpz",
            "/feeds/shared-indicators/rpz?walled_garden=garden.example.net&ip_triggers=false",
        ),
    ] {
        let zone = f.feed(path, "us-analyst").await;
        assert_eq!(zone.status, StatusCode::OK);
        let file = dir.path().join(name);
        std::fs::write(&file, &zone.body).expect("write zone");
        let output = std::process::Command::new("named-checkzone")
            .args(["-k", "fail", "-i", "full", "rpz.meridian.example"])
            .arg(&file)
            .output()
            .expect("named-checkzone runs");
        assert!(
            output.status.success(),
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// Whether an oracle tool runs; a missing one fails the test unless `MERIDIAN_SKIP_ORACLE=1`.
fn oracle(program: &str) -> bool {
    let ok =
        std::process::Command::new(program).arg("-v").output().is_ok_and(|o| o.status.success());
    if ok {
        return true;
    }
    assert!(
        std::env::var_os("MERIDIAN_SKIP_ORACLE").is_some_and(|v| v == "1"),
        "`{program}` does not run: install it with scripts/setup (or set MERIDIAN_SKIP_ORACLE=1)"
    );
    false
}

#[tokio::test]
async fn the_misp_feed_directory_is_served_per_token() {
    let f = fixture();
    let base = "/feeds/shared-indicators/misp-feed";
    let manifest = f.feed(&format!("{base}/manifest.json"), "de-analyst").await;
    assert_eq!(manifest.status, StatusCode::OK, "{}", manifest.text());
    assert_eq!(manifest.header("content-type"), "application/json");
    let listed: Value = serde_json::from_slice(&manifest.body).expect("a JSON manifest");
    let uuids: Vec<String> =
        listed.as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
    assert!(!uuids.is_empty());
    // The feed holds the same events as the `misp` feed, one file each, none RED.
    let events: Value =
        serde_json::from_slice(&f.feed("/feeds/shared-indicators/misp", "de-analyst").await.body)
            .expect("JSON events");
    let expected: BTreeSet<String> = events
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["Event"]["uuid"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(uuids.iter().cloned().collect::<BTreeSet<_>>(), expected);
    for uuid in &uuids {
        let event = f.feed(&format!("{base}/{uuid}.json"), "de-analyst").await;
        assert_eq!(event.status, StatusCode::OK);
        let parsed: Value = serde_json::from_slice(&event.body).expect("a JSON event");
        assert_eq!(parsed["Event"]["uuid"], uuid.as_str());
        assert!(!event.text().to_ascii_lowercase().contains("tlp:red"));
    }
    let hashes = f.feed(&format!("{base}/hashes.csv"), "de-analyst").await;
    assert_eq!(hashes.status, StatusCode::OK);
    assert!(hashes.header("content-type").starts_with("text/csv"));
    // Each file has its own strong ETag; revalidation answers 304 and records nothing more.
    let etag = manifest.header("etag").to_owned();
    assert!(etag.starts_with('"') && etag != hashes.header("etag"));
    let recorded = f.feed_records("de-analyst").len();
    let again = f
        .send(get(
            &format!("{base}/manifest.json"),
            Some(&f.bearer("de-analyst")),
            &[("if-none-match", &etag)],
        ))
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(f.feed_records("de-analyst").len(), recorded);
    // Unknown files, hidden collections and the bare name answer 404.
    for path in [
        format!("{base}/nope.json"),
        "/feeds/us-cert-internal/misp-feed/manifest.json".to_owned(),
        "/feeds/shared-indicators/misp-feed".to_owned(),
    ] {
        assert_eq!(f.feed(&path, "de-analyst").await.status, StatusCode::NOT_FOUND, "{path}");
    }
}

/// A poller's `If-None-Match` is answered from the tag kept when its feed was last written, but
/// only while nothing the feed depends on changed: an indicator expiring, a version entering or
/// leaving the collection, a withdrawn grant (404, not 304) each make the node write it again.
#[tokio::test]
async fn a_kept_tag_answers_only_while_nothing_the_feed_depends_on_changed() {
    use store::Store as _;
    let f = fixture();
    let path = "/feeds/shared-indicators/plain";
    let revalidate = |etag: String| {
        let request = get(path, Some(&f.bearer("energy-analyst")), &[("if-none-match", &etag)]);
        f.send(request)
    };
    // An indicator valid for two more seconds.
    let until = service::micros_to_timestamp(service::now_micros() + 2_000_000);
    post(
        &f,
        vec![indicator(
            20,
            "[domain-name:value = 'short-lived.kestrel.example']",
            json!({ "valid_until": until }),
        )],
    )
    .await;
    let first = f.feed(path, "energy-analyst").await;
    assert!(first.text().contains("short-lived.kestrel.example"), "{}", first.text());
    let tag = first.header("etag").to_owned();
    assert_eq!(revalidate(tag.clone()).await.status, StatusCode::NOT_MODIFIED);
    let records = f.feed_records("energy-analyst").len();

    // Once it has expired, the same tag gets the feed without it.
    let wait = until.parse::<stix::Timestamp>().expect("timestamp").unix().0 + 1
        - stix::Timestamp::now().unix().0;
    tokio::time::sleep(std::time::Duration::from_secs(u64::try_from(wait).unwrap_or(0))).await;
    let expired = revalidate(tag.clone()).await;
    assert_eq!(expired.status, StatusCode::OK, "an expired indicator left the feed");
    assert!(!expired.text().contains("short-lived.kestrel.example"));
    assert!(f.feed_records("energy-analyst").len() > records, "a 200 is recorded");
    let tag = expired.header("etag").to_owned();
    assert_eq!(revalidate(tag.clone()).await.status, StatusCode::NOT_MODIFIED);

    // A version leaving the collection (its creator deletes it) changes the feed.
    let gone = "indicator--0b1c2d3e-4f50-4a6b-8c7d-000000000021";
    post(&f, vec![indicator(21, "[domain-name:value = 'brief-c2.kestrel.example']", json!({}))])
        .await;
    let with = revalidate(tag.clone()).await;
    assert_eq!(with.status, StatusCode::OK);
    assert!(with.text().contains("brief-c2.kestrel.example"));
    let tag_with = with.header("etag").to_owned();
    let object = format!("/meridian/collections/shared-indicators/objects/{gone}/");
    assert_eq!(f.call("DELETE", &object, Some("us-analyst"), None).await.status, StatusCode::OK);
    let without = revalidate(tag_with).await;
    assert_eq!(without.status, StatusCode::OK, "a removal changes the feed");
    assert!(!without.text().contains("brief-c2.kestrel.example"));
    assert_eq!(without.body, expired.body);
    assert_eq!(revalidate(tag.clone()).await.status, StatusCode::NOT_MODIFIED);

    // Withdrawing the organisation's grant (from another process) hides the feed: 404, never
    // a 304 from the kept tag.
    let admin = store::SqliteStore::open(&store::Options::new(f.dir.path())).expect("store opens");
    let org = admin.org_by_name("energie-nord").expect("read").expect("the demo organisation");
    let collection = admin.collection("shared-indicators").expect("read").expect("collection");
    admin.revoke_grant(&collection.id, store::Grantee::Org(org.id)).expect("revoke");
    assert_eq!(revalidate(tag).await.status, StatusCode::NOT_FOUND);
}
