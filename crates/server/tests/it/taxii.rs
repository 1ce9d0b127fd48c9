//! TAXII endpoints, filters, errors and permissions.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt as _;

use crate::support::{Fixture, Reply, TAXII, fixture};

fn ids(reply: &Reply) -> Vec<String> {
    reply.json()["objects"]
        .as_array()
        .map(|o| o.iter().filter_map(|x| x["id"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

fn without_error_id(reply: &Reply) -> Value {
    let mut v = reply.json();
    if let Some(m) = v.as_object_mut() {
        m.remove("error_id");
    }
    v
}

#[tokio::test]
async fn discovery_and_api_root_need_a_token() {
    let f = fixture();
    let anonymous = f.call("GET", "/taxii2/", None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert!(anonymous.headers["www-authenticate"].to_str().unwrap_or("").contains("Basic"));
    assert_eq!(anonymous.json()["http_status"], "401");
    let mut bad = f.tokens.clone();
    bad.insert("nobody".into(), "mrd_not-a-real-token-at-all-000000".into());
    let f2 = Fixture { tokens: bad, ..f };
    assert_eq!(f2.get("/taxii2/", "nobody").await.status, StatusCode::UNAUTHORIZED);
    let discovery = f2.get("/taxii2/", "us-analyst").await;
    assert_eq!(discovery.status, StatusCode::OK);
    assert_eq!(discovery.headers["content-type"], TAXII);
    assert_eq!(discovery.json()["api_roots"], json!(["/meridian/"]));
    let root = f2.get("/meridian/", "us-analyst").await.json();
    assert_eq!(root["max_content_length"], service::Options::DEFAULT_MAX_CONTENT_LENGTH);
    assert_eq!(root["versions"], json!([TAXII]));
}

#[tokio::test]
async fn basic_auth_must_name_the_tokens_user() {
    use base64::Engine as _;
    let f = fixture();
    let basic = |user: &str, token: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{token}"))
        )
    };
    for (header, expected) in [
        (basic("us-analyst", &f.tokens["us-analyst"]), StatusCode::OK),
        (basic("de-analyst", &f.tokens["us-analyst"]), StatusCode::UNAUTHORIZED),
    ] {
        let request = Request::get("/taxii2/")
            .header("authorization", header)
            .body(Body::empty())
            .expect("request");
        assert_eq!(f.app.clone().oneshot(request).await.expect("reply").status(), expected);
    }
    // Tokens are accepted only in the Authorization header, never in the query.
    let token = &f.tokens["us-analyst"];
    let reply = f.call("GET", &format!("/taxii2/?token={token}"), None, None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn content_negotiation() {
    let f = fixture();
    let request = Request::get("/taxii2/")
        .header("accept", "application/json")
        .header("authorization", format!("Bearer {}", f.tokens["us-analyst"]))
        .body(Body::empty())
        .expect("request");
    assert_eq!(
        f.app.clone().oneshot(request).await.expect("reply").status(),
        StatusCode::NOT_ACCEPTABLE
    );
    let request = Request::post("/meridian/collections/shared-indicators/objects/")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {}", f.tokens["us-analyst"]))
        .body(Body::from("{}"))
        .expect("request");
    assert_eq!(
        f.app.clone().oneshot(request).await.expect("reply").status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
}

#[tokio::test]
async fn collections_the_caller_may_not_see_are_indistinguishable_from_absent_ones() {
    let f = fixture();
    let listed: Vec<String> =
        f.get("/meridian/collections/", "de-analyst").await.json()["collections"]
            .as_array()
            .map(|c| c.iter().filter_map(|x| x["alias"].as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert!(!listed.contains(&"us-cert-internal".to_owned()));
    let energy =
        f.get("/meridian/collections/de-cert-constituents/", "energy-analyst").await.json();
    assert_eq!(
        (energy["can_read"].as_bool(), energy["can_write"].as_bool()),
        (Some(true), Some(false))
    );
    for suffix in [
        "",
        "objects/",
        "manifest/",
        "objects/indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f/",
        "objects/indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f/versions/",
    ] {
        let hidden =
            f.get(&format!("/meridian/collections/us-cert-internal/{suffix}"), "de-analyst").await;
        let absent = f
            .get(&format!("/meridian/collections/no-such-collection/{suffix}"), "de-analyst")
            .await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND, "{suffix}");
        assert_eq!(absent.status, StatusCode::NOT_FOUND, "{suffix}");
        assert_eq!(without_error_id(&hidden), without_error_id(&absent), "{suffix}");
        let mut h1 = hidden.headers.clone();
        let mut h2 = absent.headers.clone();
        h1.remove("content-length");
        h2.remove("content-length");
        assert_eq!(h1, h2, "{suffix}");
    }
    // POST and DELETE answer the same.
    let post = f
        .call(
            "POST",
            "/meridian/collections/us-cert-internal/objects/",
            Some("de-analyst"),
            Some(json!({"objects": []})),
        )
        .await;
    assert_eq!(post.status, StatusCode::NOT_FOUND);
    let delete =
        f.call("DELETE", "/meridian/collections/us-cert-internal/objects/indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f/", Some("de-analyst"), None).await;
    assert_eq!(delete.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn pagination_with_limit_and_next_covers_everything_once() {
    let f = fixture();
    let all =
        f.get("/meridian/collections/shared-indicators/objects/?limit=1000", "us-analyst").await;
    let expected = ids(&all);
    assert!(expected.len() > 100, "{}", expected.len());
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let path = match &next {
            Some(n) => {
                format!("/meridian/collections/shared-indicators/objects/?limit=37&next={n}")
            }
            None => "/meridian/collections/shared-indicators/objects/?limit=37".to_owned(),
        };
        let page = f.get(&path, "us-analyst").await;
        assert_eq!(page.status, StatusCode::OK);
        let first = page.headers["x-taxii-date-added-first"].to_str().unwrap_or("").to_owned();
        let last = page.headers["x-taxii-date-added-last"].to_str().unwrap_or("").to_owned();
        assert!(first <= last);
        seen.extend(ids(&page));
        let body = page.json();
        if body["more"] == json!(true) {
            next = body["next"].as_str().map(str::to_owned);
        } else {
            break;
        }
    }
    assert_eq!(seen, expected);
    // A next token is bound to its caller and its query.
    let page = f
        .get("/meridian/collections/shared-indicators/objects/?limit=5", "us-analyst")
        .await
        .json();
    let token = page["next"].as_str().unwrap_or_default().to_owned();
    let stolen = f
        .get(
            &format!("/meridian/collections/shared-indicators/objects/?limit=5&next={token}"),
            "de-analyst",
        )
        .await;
    assert_eq!(stolen.status, StatusCode::BAD_REQUEST);
    let other_query = f.get(&format!("/meridian/collections/shared-indicators/objects/?limit=5&match[type]=report&next={token}"), "us-analyst").await;
    assert_eq!(other_query.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn filters() {
    let f = fixture();
    let base = "/meridian/collections/shared-indicators/objects/";
    let reports =
        f.get(&format!("{base}?match[type]=report&limit=1000"), "us-analyst").await.json();
    let objects = reports["objects"].as_array().cloned().unwrap_or_default();
    assert!(!objects.is_empty() && objects.iter().all(|o| o["type"] == "report"));
    let one = objects[0]["id"].as_str().unwrap_or_default().to_owned();
    let by_id = f.get(&format!("{base}?match[id]={one}"), "us-analyst").await;
    assert_eq!(ids(&by_id), [one]);
    let types =
        f.get(&format!("{base}?match[type]=report,identity&limit=1000"), "us-analyst").await.json();
    assert!(types["objects"].as_array().is_some_and(|o| o.iter().any(|x| x["type"] == "identity")));
    let bad = f.get(&format!("{base}?added_after=yesterday"), "us-analyst").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.json()["description"].as_str().unwrap_or("").contains("added_after"));
    // added_after is exclusive: everything after the first entry's date_added.
    let first = f.get(&format!("{base}?limit=1"), "us-analyst").await;
    let stamp = first.headers["x-taxii-date-added-first"].to_str().unwrap_or("").to_owned();
    let after = f.get(&format!("{base}?limit=1000&added_after={stamp}"), "us-analyst").await;
    let everything = f.get(&format!("{base}?limit=1000"), "us-analyst").await;
    assert_eq!(ids(&after).len() + 1, ids(&everything).len());
    let spec = f.get(&format!("{base}?match[spec_version]=2.0"), "us-analyst").await.json();
    assert!(spec.get("objects").is_none());
}

/// More concurrent POSTs than the server admits at once (two per core) and than group commit
/// gathers: every one is acknowledged with all its objects, and the collection then holds each
/// object exactly once, in strictly increasing `date_added` order.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_posts_are_all_stored_once_in_order() {
    const POSTS: usize = 24;
    const EACH: usize = 50;
    let f = fixture();
    let base = "/meridian/collections/shared-indicators";
    let mut tasks = tokio::task::JoinSet::new();
    for post in 0..POSTS {
        let objects: Vec<Value> = (0..EACH)
            .map(|i| {
                json!({"type": "indicator", "spec_version": "2.1",
                       "id": format!("indicator--00000000-0000-4000-8000-{:06}{:06}", post, i),
                       "created": "2026-05-01T00:00:00.000Z", "modified": "2026-05-01T00:00:00.000Z",
                       "object_marking_refs": ["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"],
                       "pattern": format!("[domain-name:value = 'c{post}-{i}.example']"),
                       "pattern_type": "stix", "valid_from": "2026-05-01T00:00:00Z"})
            })
            .collect();
        let request = Request::builder()
            .method("POST")
            .uri(format!("{base}/objects/"))
            .header("accept", TAXII)
            .header("content-type", TAXII)
            .header("authorization", f.bearer("de-analyst"))
            .body(Body::from(json!({ "objects": objects }).to_string()))
            .expect("request builds");
        let app = f.app.clone();
        tasks.spawn(async move {
            let response = app.oneshot(request).await.expect("router answers");
            let status = response.status();
            let body = http_body_util::BodyExt::collect(response.into_body())
                .await
                .expect("body")
                .to_bytes();
            (status, serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null))
        });
    }
    let replies = tokio::time::timeout(std::time::Duration::from_secs(120), tasks.join_all())
        .await
        .expect("every POST is answered (no stall in admission or group commit)");
    for (status, body) in &replies {
        assert_eq!(*status, StatusCode::ACCEPTED, "{body}");
        assert_eq!(body["success_count"].as_u64(), Some(EACH as u64), "{body}");
    }
    let mut added = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let path = match &next {
            Some(n) => format!("{base}/manifest/?limit=500&next={n}"),
            None => format!("{base}/manifest/?limit=500"),
        };
        let page = f.get(&path, "de-analyst").await.json();
        for record in page["objects"].as_array().into_iter().flatten() {
            added.push((
                record["date_added"].as_str().unwrap_or_default().to_owned(),
                record["id"].as_str().unwrap_or_default().to_owned(),
            ));
        }
        match page["next"].as_str() {
            Some(n) if page["more"] == json!(true) => next = Some(n.to_owned()),
            _ => break,
        }
    }
    assert!(added.windows(2).all(|w| w[0].0 < w[1].0), "date_added strictly increases");
    let posted: Vec<&String> = added
        .iter()
        .map(|(_, id)| id)
        .filter(|id| id.starts_with("indicator--00000000-"))
        .collect();
    let unique: std::collections::HashSet<&&String> = posted.iter().collect();
    assert_eq!((posted.len(), unique.len()), (POSTS * EACH, POSTS * EACH));
}

#[tokio::test]
async fn post_status_versions_manifest_and_delete() {
    let f = fixture();
    let base = "/meridian/collections/shared-indicators";
    let creator = "identity--0b7c6a1e-5c8f-4b8e-9f5a-2f9a2e3c4d5e";
    let indicator = |modified: &str, name: &str| {
        json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--5a8e1c1e-7d4b-4c61-8f0b-3b6a3f0c9e01",
               "created": "2026-05-01T00:00:00.000Z", "modified": modified, "created_by_ref": creator, "name": name,
               "pattern": "[domain-name:value = 'new.kestrel.example']", "pattern_type": "stix", "valid_from": "2026-05-01T00:00:00Z"})
    };
    let envelope = json!({"objects": [
        indicator("2026-05-01T00:00:00.000Z", "v1"),
        indicator("2026-05-02T00:00:00.000Z", "v2"),
        {"type": "indicator", "spec_version": "2.1", "id": "indicator--6a8e1c1e-7d4b-4c61-8f0b-3b6a3f0c9e01",
         "created": "2026-05-01T00:00:00.000Z", "modified": "2026-05-01T00:00:00.000Z",
         "pattern": "[domain-name:value = 'x'", "pattern_type": "stix", "valid_from": "2026-05-01T00:00:00Z"},
    ]});
    let posted =
        f.call("POST", &format!("{base}/objects/"), Some("de-analyst"), Some(envelope)).await;
    assert_eq!(posted.status, StatusCode::ACCEPTED);
    let status = posted.json();
    assert_eq!(
        (
            status["total_count"].as_u64(),
            status["success_count"].as_u64(),
            status["failure_count"].as_u64()
        ),
        (Some(3), Some(2), Some(1))
    );
    assert!(
        status["failures"][0]["message"].as_str().unwrap_or("").contains("$.objects[2].pattern"),
        "{status}"
    );
    // The status is visible to its poster only.
    let status_path = format!("/meridian/status/{}/", status["id"].as_str().unwrap_or_default());
    assert_eq!(f.get(&status_path, "de-analyst").await.json()["id"], status["id"]);
    assert_eq!(f.get(&status_path, "us-analyst").await.status, StatusCode::NOT_FOUND);
    // The same id and version with other content is refused; another creator may not version it.
    let conflict = f
        .call(
            "POST",
            &format!("{base}/objects/"),
            Some("de-analyst"),
            Some(json!({"objects": [indicator("2026-05-02T00:00:00.000Z", "changed")]})),
        )
        .await;
    assert!(conflict.json()["failures"][0]["message"].as_str().unwrap_or("").contains("immutable"));
    let hijack = f
        .call(
            "POST",
            &format!("{base}/objects/"),
            Some("us-analyst"),
            Some(json!({"objects": [indicator("2026-05-03T00:00:00.000Z", "v3")]})),
        )
        .await;
    assert!(
        hijack.json()["failures"][0]["message"].as_str().unwrap_or("").contains("organisation")
    );
    // Versions, object (last by default, all on request), manifest.
    let object = format!("{base}/objects/indicator--5a8e1c1e-7d4b-4c61-8f0b-3b6a3f0c9e01/");
    let versions = f.get(&format!("{object}versions/"), "us-analyst").await.json();
    assert_eq!(
        versions["versions"],
        json!(["2026-05-01T00:00:00.000Z", "2026-05-02T00:00:00.000Z"])
    );
    assert_eq!(f.get(&object, "us-analyst").await.json()["objects"][0]["name"], "v2");
    assert_eq!(
        f.get(&format!("{object}?match[version]=first"), "us-analyst").await.json()["objects"][0]["name"],
        "v1"
    );
    assert_eq!(ids(&f.get(&format!("{object}?match[version]=all"), "us-analyst").await).len(), 2);
    let manifest = f.get(&format!("{base}/manifest/?match[id]=indicator--5a8e1c1e-7d4b-4c61-8f0b-3b6a3f0c9e01&match[version]=all"), "us-analyst").await.json();
    let records = manifest["objects"].as_array().cloned().unwrap_or_default();
    assert_eq!(records.len(), 2);
    assert_eq!(records[1]["media_type"], "application/stix+json;version=2.1");
    // Only the sharing organisation deletes; a read-only token cannot.
    assert_eq!(
        f.call("DELETE", &object, Some("us-analyst"), None).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        f.call("DELETE", &object, Some("de-reader"), None).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        f.call("DELETE", &format!("{object}?match[version]=last"), Some("de-analyst"), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(f.get(&object, "us-analyst").await.json()["objects"][0]["name"], "v1");
    assert_eq!(f.call("DELETE", &object, Some("de-analyst"), None).await.status, StatusCode::OK);
    assert_eq!(f.get(&object, "us-analyst").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn write_permissions_and_body_limits() {
    let f = fixture();
    let envelope = json!({"objects": []});
    let read_only = f
        .call(
            "POST",
            "/meridian/collections/kestrelnet/objects/",
            Some("de-analyst"),
            Some(envelope.clone()),
        )
        .await;
    assert_eq!(read_only.status, StatusCode::FORBIDDEN);
    let scope = f
        .call(
            "POST",
            "/meridian/collections/shared-indicators/objects/",
            Some("de-reader"),
            Some(envelope),
        )
        .await;
    assert_eq!(scope.status, StatusCode::FORBIDDEN);
    let too_big = Request::post("/meridian/collections/shared-indicators/objects/")
        .header("content-type", TAXII)
        .header("content-length", (service::Options::DEFAULT_MAX_CONTENT_LENGTH + 1).to_string())
        .header("authorization", format!("Bearer {}", f.tokens["de-analyst"]))
        .body(Body::empty())
        .expect("request");
    assert_eq!(
        f.app.clone().oneshot(too_big).await.expect("reply").status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    let not_json = Request::post("/meridian/collections/shared-indicators/objects/")
        .header("content-type", TAXII)
        .header("authorization", format!("Bearer {}", f.tokens["de-analyst"]))
        .body(Body::from("{\"objects\": [tru"))
        .expect("request");
    let reply = f.app.clone().oneshot(not_json).await.expect("reply");
    assert_eq!(reply.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn tlp_red_stays_with_its_submitting_organisation() {
    let f = fixture();
    let red = stix::Tlp::Red.marking_id();
    let has_red = |reply: &Reply| {
        reply.json()["objects"].as_array().is_some_and(|o| {
            o.iter().any(|x| {
                x["object_marking_refs"].as_array().is_some_and(|m| m.iter().any(|r| r == red))
            })
        })
    };
    let base = "/meridian/collections/shared-indicators/objects/?limit=1000";
    assert!(has_red(&f.get(base, "us-analyst").await));
    let de = f.get(base, "de-analyst").await;
    // DE sees its own RED objects, never US-CERT's.
    let foreign_red = de.json()["objects"].as_array().is_some_and(|o| {
        o.iter().any(|x| {
            x["object_marking_refs"].as_array().is_some_and(|m| m.iter().any(|r| r == red))
                && x["name"].as_str().unwrap_or("").contains("us-cert")
        })
    });
    assert!(!foreign_red);
    assert!(!has_red(&f.get(base, "energy-analyst").await));
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_taxii_errors() {
    let f = fixture();
    let reply = f.get("/meridian/nothing-here/", "us-analyst").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.json()["http_status"], "404");
    let put = f.call("PUT", "/meridian/collections/", Some("us-analyst"), None).await;
    assert_eq!(put.status, StatusCode::METHOD_NOT_ALLOWED);
    let health = f.call("GET", "/healthz", None, None).await;
    assert_eq!(health.status, StatusCode::OK);
    let metrics =
        String::from_utf8_lossy(&f.call("GET", "/metrics", None, None).await.body).into_owned();
    assert!(metrics.contains("meridian_http_responses_total{class=\"4xx\"}"), "{metrics}");
}

#[tokio::test]
async fn every_disclosed_object_is_in_the_ledger() {
    let f = fixture();
    let page =
        f.get("/meridian/collections/shared-indicators/objects/?limit=10", "energy-analyst").await;
    let disclosed = ids(&page);
    assert_eq!(disclosed.len(), 10);
    let entries = crate::support::disclosed_to(&f.ledger, "energy-analyst");
    let recorded: Vec<String> = entries.iter().map(|e| e.disclosure.object_id.clone()).collect();
    assert_eq!(recorded, disclosed);
    assert!(
        entries.iter().all(|e| e.disclosure.org.as_deref() == Some("energie-nord")
            && e.disclosure.channel == "taxii")
    );
    // Manifests disclose no content and are not recorded; the chain verifies.
    f.get("/meridian/collections/shared-indicators/manifest/", "energy-analyst").await;
    assert_eq!(f.ledger.verify().expect("intact"), 10);
}

#[tokio::test]
async fn hidden_objects_ids_never_appear_in_what_is_shared() {
    let f = fixture();
    let red = stix::Tlp::Red.marking_id();
    let green = stix::Tlp::Green.marking_id();
    let creator = "identity--7a1e0b2c-3d4e-4f5a-8b6c-7d8e9f0a1b2c";
    let secret = "indicator--7a1e0b2c-3d4e-4f5a-8b6c-7d8e9f0a1b01";
    let visible = "indicator--7a1e0b2c-3d4e-4f5a-8b6c-7d8e9f0a1b02";
    let common = |id: &str, marking: &str| {
        json!({"spec_version": "2.1", "id": id, "created": "2026-07-01T00:00:00.000Z", "modified": "2026-07-01T00:00:00.000Z",
               "created_by_ref": creator, "object_marking_refs": [marking]})
    };
    let merge = |mut a: Value, b: Value| {
        if let (Some(a), Some(b)) = (a.as_object_mut(), b.as_object()) {
            a.extend(b.clone());
        }
        a
    };
    let indicator = |id: &str, marking: &str, domain: &str| {
        merge(
            common(id, marking),
            json!({"type": "indicator", "pattern": format!("[domain-name:value = '{domain}']"),
                                          "pattern_type": "stix", "valid_from": "2026-07-01T00:00:00Z"}),
        )
    };
    let objects = json!({"objects": [
        indicator(secret, red, "secret-source.example"),
        indicator(visible, green, "public-c2.example"),
        merge(common("report--7a1e0b2c-3d4e-4f5a-8b6c-7d8e9f0a1b03", green),
              json!({"type": "report", "name": "Joint report", "published": "2026-07-01T00:00:00Z", "object_refs": [secret, visible]})),
        merge(common("relationship--7a1e0b2c-3d4e-4f5a-8b6c-7d8e9f0a1b04", green),
              json!({"type": "relationship", "relationship_type": "related-to", "source_ref": secret, "target_ref": visible})),
    ]});
    let posted = f
        .call(
            "POST",
            "/meridian/collections/shared-indicators/objects/",
            Some("us-analyst"),
            Some(objects),
        )
        .await;
    assert_eq!(posted.json()["success_count"], 4, "{}", posted.json());
    let seen =
        f.get("/meridian/collections/shared-indicators/objects/?limit=1000", "de-analyst").await;
    let body = String::from_utf8_lossy(&seen.body).into_owned();
    assert!(!body.contains(secret), "the RED indicator's id leaked to de-analyst");
    let report = seen.json()["objects"]
        .as_array()
        .and_then(|o| {
            o.iter().find(|x| x["id"] == "report--7a1e0b2c-3d4e-4f5a-8b6c-7d8e9f0a1b03").cloned()
        })
        .expect("the report is shared");
    assert_eq!(report["object_refs"], json!([visible]));
    assert!(
        !ids(&seen).contains(&"relationship--7a1e0b2c-3d4e-4f5a-8b6c-7d8e9f0a1b04".to_owned()),
        "a relationship to a hidden object is dropped"
    );
    // The submitter, named on the RED indicator, sees everything as posted.
    let own =
        f.get("/meridian/collections/shared-indicators/objects/?limit=1000", "us-analyst").await;
    assert!(String::from_utf8_lossy(&own.body).contains(secret));
}

#[tokio::test]
async fn directory_changes_from_another_process_apply_to_the_next_request() {
    use store::Store as _;
    let f = fixture();
    // The server caches organisations, users, tokens and grants; warm the cache first.
    assert_eq!(f.get("/meridian/collections/", "de-reader").await.status, StatusCode::OK);
    assert_eq!(
        f.get("/meridian/collections/us-cert-internal/", "de-analyst").await.status,
        StatusCode::NOT_FOUND
    );
    // Another store on the same data directory stands for the admin CLI in another process.
    let admin = store::SqliteStore::open(&store::Options::new(f.dir.path())).expect("store opens");
    let analyst = admin.user_by_name("de-analyst").expect("read").expect("the demo user");
    // A grant is visible at once, and so is its withdrawal.
    let internal = admin.collection("us-cert-internal").expect("read").expect("the collection");
    let grantee = store::Grantee::Org(analyst.org);
    admin
        .grant(&internal.id, store::Grant { grantee, can_read: true, can_write: false })
        .expect("grant");
    let granted = f.get("/meridian/collections/us-cert-internal/", "de-analyst").await;
    assert_eq!(granted.status, StatusCode::OK);
    assert_eq!(granted.json()["can_read"], json!(true));
    let objects = f.get("/meridian/collections/us-cert-internal/objects/", "de-analyst").await;
    assert_eq!(objects.status, StatusCode::OK);
    admin.revoke_grant(&internal.id, grantee).expect("revoke the grant");
    for suffix in ["", "objects/"] {
        let path = format!("/meridian/collections/us-cert-internal/{suffix}");
        assert_eq!(f.get(&path, "de-analyst").await.status, StatusCode::NOT_FOUND, "{suffix}");
    }
    // A revoked token stops working at the next request.
    let reader = admin
        .tokens(analyst.id)
        .expect("tokens")
        .into_iter()
        .find(|t| t.label == "read only")
        .expect("the read-only token");
    admin.revoke_token(reader.id).expect("revoke the token");
    assert_eq!(f.get("/meridian/collections/", "de-reader").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(f.get("/meridian/collections/", "de-analyst").await.status, StatusCode::OK);
    // A user and a token added elsewhere work at once.
    let late = admin.add_user("late-analyst", analyst.org, false).expect("user");
    let token = "mrd_late-analyst-token-0123456789abcdef";
    admin
        .add_token(late, &service::auth::token_hash(token), "late", store::TokenScope::Read)
        .expect("token");
    let request = Request::builder()
        .uri("/meridian/collections/")
        .header("accept", TAXII)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request builds");
    let response = f.app.clone().oneshot(request).await.expect("router answers");
    assert_eq!(response.status(), StatusCode::OK);
}
