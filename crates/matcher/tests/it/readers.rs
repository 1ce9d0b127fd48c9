//! Every reader on the real-shaped samples in `test-data/logs`: headers, empty and unset fields,
//! escapes, containers, compressed input and malformed lines.

use matcher::{CsvOptions, Format, Options};

use crate::{sample_set, scan_sample};

#[track_caller]
fn check(path: &str) -> String {
    scan_sample(&sample_set(), path, &Options::default())
}

#[test]
fn zeek_dns_with_answers_unset_and_empty_fields() {
    insta::assert_snapshot!(check("zeek/dns.log"), @"
    10 query=WWW.Evil.Example. -> domain evil.example (subdomain)
    10 answers=203.0.113.5 -> ipv4 203.0.113.5 (exact)
    10 answers=www.evil.example -> domain evil.example (subdomain)
    12 query=xn--bcher-kva.example -> domain xn--bcher-kva.example (exact)
    12 answers=2001:db8:bad::1 -> ipv6 2001:db8:bad::/48 (cidr)
    format zeek lines 15 hit_lines 2 hits 5 suppressed 1 malformed 0
    ");
}

#[test]
fn zeek_compressed_input_matches_plain() {
    let plain = check("zeek/dns.log");
    assert_eq!(check("zeek/dns.log.gz"), plain);
    let conn = check("zeek/conn.log");
    assert_eq!(check("zeek/conn.log.zst"), conn);
}

#[test]
fn zeek_conn() {
    insta::assert_snapshot!(check("zeek/conn.log"), @"
    9 id.resp_h=198.51.100.77 -> ipv4 198.51.100.77 (exact)
    10 id.resp_h=198.51.100.200 -> ipv4 198.51.100.0/24 (cidr)
    12 id.orig_h=2001:db8:bad:1::9 -> ipv6 2001:db8:bad::/48 (cidr)
    format zeek lines 14 hit_lines 3 hits 3 suppressed 1 malformed 0
    ");
}

#[test]
fn zeek_http_host_and_uri_make_a_url() {
    insta::assert_snapshot!(check("zeek/http.log"), @"
    9 url=http://malware.example/payload.exe -> url http://malware.example/payload.exe (exact)
    10 url=http://Malware.Example:80/%70ayload.exe -> url http://malware.example/payload.exe (exact)
    11 referrer=http://c2.bad.example/landing -> domain c2.bad.example (exact)
    format zeek lines 12 hit_lines 3 hits 3 suppressed 0 malformed 0
    ");
}

#[test]
fn zeek_ssl_files_x509_notice() {
    let all = ["zeek/ssl.log", "zeek/files.log", "zeek/x509.log", "zeek/notice.log"]
        .map(check)
        .join("\n--\n");
    insta::assert_snapshot!(all, @"
    9 server_name=api.c2.bad.example -> domain c2.bad.example (subdomain)
    format zeek lines 11 hit_lines 1 hits 1 suppressed 0 malformed 0
    --
    9 md5=0CC175B9C0F1B6A831C399E269772661 -> md5 0cc175b9c0f1b6a831c399e269772661 (exact)
    9 sha256=ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb -> sha256 ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb (exact)
    format zeek lines 11 hit_lines 1 hits 2 suppressed 0 malformed 0
    --
    9 san.dns=*.c2.bad.example -> domain c2.bad.example (subdomain)
    9 san.email=attacker@phish.example -> email attacker@phish.example (exact)
    9 san.ip=198.51.100.9 -> ipv4 198.51.100.0/24 (cidr)
    format zeek lines 10 hit_lines 1 hits 3 suppressed 0 malformed 0
    --
    9 src=198.51.100.66 -> ipv4 198.51.100.0/24 (cidr)
    format zeek lines 10 hit_lines 1 hits 1 suppressed 0 malformed 0
    ");
}

#[test]
fn zeek_malformed_lines_are_reported_and_skipped() {
    insta::assert_snapshot!(check("zeek/malformed-dns.log"), @"
    8 query=www.evil.example -> domain evil.example (subdomain)
    9 malformed: 3 fields where `#fields` names 4
    10 malformed: 5 fields where `#fields` names 4
    11 query=evil.example -> domain evil.example (exact)
    format zeek lines 11 hit_lines 2 hits 2 suppressed 0 malformed 2
    ");
}

#[test]
fn zeek_json() {
    insta::assert_snapshot!(check("zeek-json/dns.log"), @"
    1 query=a.b.evil.example -> domain evil.example (subdomain)
    1 answers=203.0.113.5 -> ipv4 203.0.113.5 (exact)
    3 malformed: expected `,` or `}` in an object at byte 54, found the end of the line
    4 query=bücher.example -> domain xn--bcher-kva.example (exact)
    format zeek-json lines 4 hit_lines 2 hits 3 suppressed 0 malformed 1
    ");
}

#[test]
fn suricata_eve() {
    insta::assert_snapshot!(check("eve/eve.json"), @"
    1 dns.rrname=www.evil.example -> domain evil.example (subdomain)
    2 dns.answers.rdata=203.0.113.5 -> ipv4 203.0.113.5 (exact)
    2 dns.grouped.A=203.0.113.5 -> ipv4 203.0.113.5 (exact)
    3 dest_ip=198.51.100.77 -> ipv4 198.51.100.77 (exact)
    4 url=http://malware.example/payload.exe -> url http://malware.example/payload.exe (exact)
    5 tls.sni=api.c2.bad.example -> domain c2.bad.example (subdomain)
    6 malformed: bad escape in a string at byte 85, found `q`
    7 fileinfo.md5=0cc175b9c0f1b6a831c399e269772661 -> md5 0cc175b9c0f1b6a831c399e269772661 (exact)
    7 fileinfo.sha256=ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb -> sha256 ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb (exact)
    7 url=http://malware.example/payload.exe -> url http://malware.example/payload.exe (exact)
    8 src_ip=2001:db8:bad::7 -> ipv6 2001:db8:bad::/48 (cidr)
    format eve lines 9 hit_lines 7 hits 10 suppressed 1 malformed 1
    ");
}

#[test]
fn csv_every_column() {
    insta::assert_snapshot!(check("csv/proxy.csv"), @"
    2 url=http://malware.example/payload.exe -> url http://malware.example/payload.exe (exact)
    4 client=198.51.100.77 -> ipv4 198.51.100.77 (exact)
    4 url=https://api.c2.bad.example:443/ -> domain c2.bad.example (subdomain)
    5 malformed: unterminated quoted CSV field
    format csv lines 5 hit_lines 2 hits 3 suppressed 0 malformed 1
    ");
}

#[test]
fn csv_with_a_column_mapping() {
    let options = Options {
        format: Format::Csv,
        csv: CsvOptions {
            columns: "client=ip,url=url,time=timestamp".parse().unwrap(),
            ..CsvOptions::default()
        },
        ..Options::default()
    };
    insta::assert_snapshot!(scan_sample(&sample_set(), "csv/proxy.csv", &options), @"
    2 url=http://malware.example/payload.exe -> url http://malware.example/payload.exe (exact)
    4 client=198.51.100.77 -> ipv4 198.51.100.77 (exact)
    4 url=https://api.c2.bad.example:443/ -> domain c2.bad.example (subdomain)
    5 malformed: unterminated quoted CSV field
    format csv lines 5 hit_lines 2 hits 3 suppressed 0 malformed 1
    ");
}

#[test]
fn plain_text() {
    insta::assert_snapshot!(check("text/syslog.log"), @"
    1 text=www.evil.example -> domain evil.example (subdomain)
    3 text=198.51.100.77 -> ipv4 198.51.100.77 (exact)
    4 text=203.0.113.5 -> ipv4 203.0.113.5 (exact)
    4 text=Attacker@Phish.Example -> email attacker@phish.example (exact)
    5 text=http://malware.example/payload.exe -> url http://malware.example/payload.exe (exact)
    6 text=2001:db8:bad:2::1 -> ipv6 2001:db8:bad::/48 (cidr)
    format text lines 7 hit_lines 5 hits 6 suppressed 0 malformed 0
    ");
}

#[test]
fn warninglisted_hits_are_reported_on_request() {
    let options = Options { suppress_warninglisted: false, ..Options::default() };
    let out = scan_sample(&sample_set(), "zeek/conn.log", &options);
    assert!(out.contains("id.resp_h=8.8.8.8 -> ipv4 8.8.8.8 (exact)"), "{out}");
    assert!(out.ends_with("suppressed 0 malformed 0"), "{out}");
}

#[test]
fn forced_format_on_the_wrong_input_reports_every_line() {
    let options = Options { format: Format::Eve, ..Options::default() };
    let out = scan_sample(&sample_set(), "text/syslog.log", &options);
    assert!(out.starts_with("1 malformed: a JSON object was expected"), "{out}");
    assert!(
        out.ends_with("format eve lines 7 hit_lines 0 hits 0 suppressed 0 malformed 7"),
        "{out}"
    );
}
