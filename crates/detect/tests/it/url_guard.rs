//! URL guard through the public API: encodings, names, schemes, allowlists, pinning.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers build fixtures from literals

use std::net::IpAddr;

use mcpwall_detect::url_guard::{CheckedHost, UrlGuard, UrlPolicy};

#[test]
fn every_encoding_of_loopback_and_metadata_is_denied() {
    let g = UrlGuard::default();
    for u in [
        "http://127.0.0.1/",
        "http://2130706433/",
        "http://017700000001/",
        "http://0x7f.0.0.1/",
        "http://0x7f.1/",
        "http://127.1/",
        "http://[::1]/",
        "http://[0:0:0:0:0:ffff:7f00:1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[64:ff9b::7f00:1]/",
        "http://[2002:a9fe:a9fe::]/",
        "http://2852039166/",
        "http://0xA9FEA9FE/",
        "http://169.254.169.254./",
        "http://100.100.100.200/",
        "http://[fd00:ec2::254]/",
        "http://192.0.0.192/",
        "http://metadata.google.internal./",
        "http://%6c%6f%63%61%6c%68%6f%73%74/",
        "http://ｌｏｃａｌｈｏｓｔ/",
        "http://evil.com@127.0.0.1/",
        "http://127.0.0.1#@evil.com/",
        "http://169.254.169.254.nip.io/",
        "HTTP://LOCALHOST/",
        "http://100.64.0.1/",
        "http://172.31.255.255/",
        "http://[fe80::1]/",
        "http://255.255.255.255/",
        "http://0.0.0.0/",
        "http://10.1/",
    ] {
        assert!(g.check_url(u).is_err(), "{u} passed");
    }
}

#[test]
fn public_targets_pass_and_report_their_host() {
    let g = UrlGuard::default();
    let ok = g.check_url("https://api.github.com/repos").unwrap();
    assert_eq!(ok.host, CheckedHost::Domain("api.github.com".into()));
    assert!(ok.needs_resolution());
    assert_eq!(ok.port, Some(443));
    let ip = g.check_url("http://8.8.8.8:8080/x").unwrap();
    assert_eq!(ip.host, CheckedHost::Ip("8.8.8.8".parse().unwrap()));
}

#[test]
fn resolver_mode_pins_to_checked_addresses() {
    let g = UrlGuard::default();
    let answers: Vec<IpAddr> = [
        "10.0.0.7",
        "2606:4700::6810:84e5",
        "::ffff:169.254.169.254",
        "104.16.132.229",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    let ok = g.check_resolved("example.com", &answers).unwrap();
    assert_eq!(ok, vec![answers[1], answers[3]]);
    assert!(
        g.check_resolved("localhost", &[answers[3]]).is_err(),
        "the name itself is checked too"
    );
}

#[test]
fn policy_allowlists() {
    let g = UrlGuard::new(UrlPolicy {
        allow_domains: vec!["*.svc.example".into()],
        allow_cidrs: vec!["192.168.10.0/24".parse().unwrap()],
        allow_schemes: vec!["https".into()],
    });
    assert!(g.check_url("https://api.svc.example/").is_ok());
    assert!(g.check_url("https://192.168.10.5/").is_ok());
    assert!(g.check_url("https://192.168.11.5/").is_err());
    assert!(
        g.check_url("http://api.svc.example/").is_err(),
        "scheme not allowed"
    );
    let e = g.check_url("ftp://x.example/").unwrap_err();
    assert_eq!(e.rule(), "ssrf-scheme");
}
