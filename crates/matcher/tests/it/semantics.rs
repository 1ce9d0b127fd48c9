//! Every matching rule, one table per rule: each row is a log value and what it hits.

use matcher::{Indicator, IndicatorSet, Kind, Scratch, Warninglist};

fn compile(indicators: &[&str]) -> IndicatorSet {
    IndicatorSet::compile(indicators.iter().map(|v| Indicator::parse(v).unwrap()), &[])
}

#[track_caller]
fn check(set: &IndicatorSet, rows: &[(&str, &str)]) {
    let mut scratch = Scratch::default();
    for (value, expected) in rows {
        let got = match set.lookup(value, &mut scratch) {
            Some(hit) => format!("{} {}", hit.kind.as_str(), set.entry(hit.entry).value()),
            None => "miss".to_owned(),
        };
        assert_eq!(&got, expected, "log value {value:?}");
    }
}

#[test]
fn domain_is_itself_and_subdomains_never_a_substring() {
    let set = compile(&["evil.example", "cdn.good.example"]);
    check(
        &set,
        &[
            ("evil.example", "exact evil.example"),
            ("a.evil.example", "subdomain evil.example"),
            ("a.b.c.evil.example", "subdomain evil.example"),
            ("notevil.example", "miss"),
            ("evil.example.net", "miss"),
            ("evilexample", "miss"),
            ("xevil.example", "miss"),
            ("good.example", "miss"),
            ("x.cdn.good.example", "subdomain cdn.good.example"),
        ],
    );
}

#[test]
fn domain_case_trailing_dot_and_idna() {
    let set = compile(&["EVIL.Example.", "bücher.example", "xn--mnchen-3ya.example"]);
    check(
        &set,
        &[
            ("evil.example", "exact evil.example"),
            ("EVIL.EXAMPLE", "exact evil.example"),
            ("www.evil.example.", "subdomain evil.example"),
            ("xn--bcher-kva.example", "exact xn--bcher-kva.example"),
            ("BÜCHER.example", "exact xn--bcher-kva.example"),
            ("shop.bücher.example.", "subdomain xn--bcher-kva.example"),
            ("münchen.example", "exact xn--mnchen-3ya.example"),
            ("bucher.example", "miss"),
        ],
    );
}

#[test]
fn most_specific_domain_is_reported() {
    let set = IndicatorSet::compile(
        ["example", "bad.example", "very.bad.example"]
            .map(|v| Indicator::parse_as(Kind::Domain, v).unwrap()),
        &[],
    );
    check(
        &set,
        &[
            ("x.very.bad.example", "subdomain very.bad.example"),
            ("very.bad.example", "exact very.bad.example"),
            ("x.bad.example", "subdomain bad.example"),
            ("good.example", "subdomain example"),
        ],
    );
}

#[test]
fn ipv4_exact_and_cidr_edges_longest_prefix() {
    let set = compile(&[
        "192.0.2.0/24",
        "192.0.2.128/25",
        "192.0.2.200",
        "198.51.100.0/31",
        "203.0.113.7/32",
    ]);
    check(
        &set,
        &[
            ("192.0.2.0", "cidr 192.0.2.0/24"),
            ("192.0.2.127", "cidr 192.0.2.0/24"),
            ("192.0.2.128", "cidr 192.0.2.128/25"),
            ("192.0.2.199", "cidr 192.0.2.128/25"),
            ("192.0.2.200", "exact 192.0.2.200"),
            ("192.0.2.255", "cidr 192.0.2.128/25"),
            ("192.0.1.255", "miss"),
            ("192.0.3.0", "miss"),
            ("198.51.100.1", "cidr 198.51.100.0/31"),
            ("198.51.100.2", "miss"),
            ("203.0.113.7", "exact 203.0.113.7"),
            ("203.0.113.70", "miss"),
            ("::ffff:192.0.2.200", "exact 192.0.2.200"),
            ("192.000.002.200", "miss"),
        ],
    );
}

#[test]
fn ipv6_forms_and_cidr() {
    let set = compile(&["2001:db8::1", "2001:db8:bad::/48", "2001:db8:bad:beef::/64", "fe80::/10"]);
    check(
        &set,
        &[
            ("2001:db8::1", "exact 2001:db8::1"),
            ("2001:DB8:0:0:0:0:0:1", "exact 2001:db8::1"),
            ("2001:0db8:0000:0000:0000:0000:0000:0001", "exact 2001:db8::1"),
            ("[2001:db8::1]", "exact 2001:db8::1"),
            ("2001:db8::1%eth0", "exact 2001:db8::1"),
            ("2001:db8::2", "miss"),
            ("2001:db8:bad:1::1", "cidr 2001:db8:bad::/48"),
            ("2001:db8:bad:beef::1", "cidr 2001:db8:bad:beef::/64"),
            ("2001:db8:bad:ffff:ffff:ffff:ffff:ffff", "cidr 2001:db8:bad::/48"),
            ("2001:db8:bae::", "miss"),
            ("fe80::1%en0", "cidr fe80::/10"),
            ("fec0::1", "miss"),
        ],
    );
}

#[test]
fn url_normalisation() {
    let set = compile(&[
        "http://evil.example/login/",
        "https://bücher.example/a?b=1",
        "http://[2001:db8::1]:8080/x",
    ]);
    check(
        &set,
        &[
            ("http://evil.example/login", "exact http://evil.example/login"),
            ("HTTP://EVIL.EXAMPLE:80/login/", "exact http://evil.example/login"),
            ("http://evil.example/%6Cogin", "exact http://evil.example/login"),
            ("http://evil.example/a/../login#top", "exact http://evil.example/login"),
            ("http://evil.example/login/more", "miss"),
            ("https://evil.example/login", "miss"),
            (
                "https://xn--bcher-kva.example:443/a?b=1",
                "exact https://xn--bcher-kva.example/a?b=1",
            ),
            ("https://bücher.example/a?b=2", "miss"),
            ("http://[2001:DB8::1]:8080/x", "exact http://[2001:db8::1]:8080/x"),
        ],
    );
}

#[test]
fn hashes_and_emails() {
    let set = compile(&[
        "0CC175B9C0F1B6A831C399E269772661",
        "86f7e437faa5a7fce15d1ddcb9eaeaea377667b8",
        "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb",
        &"ab".repeat(64),
        "Attacker@Phish.Example",
    ]);
    check(
        &set,
        &[
            ("0cc175b9c0f1b6a831c399e269772661", "exact 0cc175b9c0f1b6a831c399e269772661"),
            (
                "86F7E437FAA5A7FCE15D1DDCB9EAEAEA377667B8",
                "exact 86f7e437faa5a7fce15d1ddcb9eaeaea377667b8",
            ),
            (
                "CA978112CA1BBDCAFAC231B39A23DC4DA786EFF8147C4E72B9807785AFEE48BB",
                "exact ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb",
            ),
            (&"AB".repeat(64), &format!("exact {}", "ab".repeat(64))),
            ("0cc175b9c0f1b6a831c399e26977266", "miss"),
            ("attacker@phish.example", "exact attacker@phish.example"),
            ("ATTACKER@PHISH.EXAMPLE", "exact attacker@phish.example"),
            ("other@phish.example", "miss"),
        ],
    );
    let kinds: Vec<Kind> = set.entries().map(|e| e.kind()).collect();
    assert_eq!(kinds, [Kind::Md5, Kind::Sha1, Kind::Sha256, Kind::Sha512, Kind::Email]);
}

#[test]
fn defanged_indicators() {
    let set = compile(&[
        "evil[.]example",
        "198.51.100[.]7",
        "hxxps[://]bad(.)example/x",
        "user[@]phish[.]example",
        "2001:db8[:]:5",
        "c2{.}example",
        "fxp://files[dot]example/a",
    ]);
    check(
        &set,
        &[
            ("www.evil.example", "subdomain evil.example"),
            ("198.51.100.7", "exact 198.51.100.7"),
            ("https://bad.example/x", "exact https://bad.example/x"),
            ("user@phish.example", "exact user@phish.example"),
            ("2001:db8::5", "exact 2001:db8::5"),
            ("c2.example", "exact c2.example"),
            ("ftp://files.example/a", "exact ftp://files.example/a"),
        ],
    );
}

#[test]
fn warninglist_flags_and_scanner_suppresses() {
    let list = Warninglist::parse(
        br#"{"name": "RFC 1918", "type": "cidr", "list": ["10.0.0.0/8", "192.168.0.0/16"]}"#,
    )
    .unwrap();
    let hosts = Warninglist::parse(
        br#"{"name": "Top domains", "type": "hostname", "list": ["google.com"]}"#,
    )
    .unwrap();
    let set = IndicatorSet::compile(
        ["10.1.2.3", "192.168.0.0/24", "198.51.100.7", "mail.google.com", "evil.example"]
            .map(|v| Indicator::parse(v).unwrap()),
        &[list, hosts],
    );
    let flagged: Vec<String> =
        set.flagged().map(|(e, list)| format!("{} on {list}", e.value())).collect();
    assert_eq!(
        flagged,
        ["10.1.2.3 on RFC 1918", "192.168.0.0/24 on RFC 1918", "mail.google.com on Top domains"]
    );
    let log = "10.1.2.3 198.51.100.7 192.168.0.9 x.mail.google.com evil.example\n";
    let scan = |suppress: bool| {
        let mut sink = crate::Render::new(&set);
        let options = matcher::Options {
            format: matcher::Format::Text,
            suppress_warninglisted: suppress,
            ..Default::default()
        };
        let summary = matcher::scan_reader(
            &set,
            "t",
            std::io::Cursor::new(log.as_bytes().to_vec()),
            &options,
            &mut sink,
        )
        .unwrap();
        (summary.hits, summary.suppressed)
    };
    assert_eq!(scan(true), (2, 3));
    assert_eq!(scan(false), (5, 0));
}
