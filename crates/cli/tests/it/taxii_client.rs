//! End to end: the running `meridian serve` binary driven by the OASIS Python `taxii2-client`
//! (scripts/taxii-client-e2e.py): discovery, collections, POST and status, paging with
//! limit/next, every filter, manifest, versions, delete.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A node running on a free loopback port, killed on drop.
pub(crate) struct RunningNode {
    child: Child,
    pub(crate) base: String,
    pub(crate) dir: tempfile::TempDir,
}

impl Drop for RunningNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) const ADMIN_TOKEN: &str = "mrd_integration-test-admin-token-0123456789";

pub(crate) fn start_node(demo: bool) -> RunningNode {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut args = vec![
        "serve".to_owned(),
        "--data".to_owned(),
        dir.path().display().to_string(),
        "--listen".to_owned(),
        format!("127.0.0.1:{port}"),
    ];
    if demo {
        args.push("--demo".to_owned());
    }
    let child = Command::new(env!("CARGO_BIN_EXE_meridian"))
        .args(&args)
        .env("MERIDIAN_ADMIN_TOKEN", ADMIN_TOKEN)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("meridian serve starts");
    let node = RunningNode { child, base: format!("http://127.0.0.1:{port}"), dir };
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return node;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("meridian serve did not start listening on port {port}");
}

#[test]
fn taxii2_client_works_unchanged() {
    let node = start_node(true);
    let script = test_support::test_data().join("../scripts/taxii-client-e2e.py");
    let out = match Command::new("python3")
        .arg(&script)
        .args([format!("{}/taxii2/", node.base), "admin".into(), ADMIN_TOKEN.into()])
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            assert!(
                std::env::var_os("MERIDIAN_SKIP_ORACLE").is_some(),
                "cannot run python3: {e}; run scripts/setup"
            );
            return;
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("No module named 'taxii2client'")
        && std::env::var_os("MERIDIAN_SKIP_ORACLE").is_some()
    {
        return;
    }
    assert!(out.status.success(), "taxii2-client e2e failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("all steps passed"), "{stdout}");
}

#[test]
fn serves_https_with_a_given_certificate() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
        ])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl runs");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let data = tempfile::tempdir().expect("a temporary directory");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_meridian"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data"])
        .arg(data.path())
        .arg("--tls-cert")
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .env("MERIDIAN_ADMIN_TOKEN", ADMIN_TOKEN)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("meridian serve starts");
    let _node = RunningNode { child, base: String::new(), dir: data };
    let client = format!(
        "import ssl, urllib.request, time\n\
         ctx = ssl.create_default_context(cafile={cert:?})\n\
         for _ in range(100):\n\
         \x20   try:\n\
         \x20       req = urllib.request.Request('https://127.0.0.1:{port}/taxii2/', headers={{'Authorization': 'Bearer {ADMIN_TOKEN}'}})\n\
         \x20       print(urllib.request.urlopen(req, context=ctx).read().decode()); break\n\
         \x20   except (ConnectionError, OSError) as e:\n\
         \x20       if 'CERTIFICATE' in str(e): raise\n\
         \x20       time.sleep(0.2)\n",
        cert = cert.display().to_string()
    );
    let out = Command::new("python3").args(["-c", &client]).output().expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("\"api_roots\""), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
}
