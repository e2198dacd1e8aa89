//! Referral extraction (pipeline.md §2–§5): pure functions, no database, no network.

use hunter_pc::pipeline::domain::normalize_domain;
use hunter_pc::pipeline::extract::{content_hash, extract};
use serde_json::{Value, json};

/// Microsoft's documented list example (partner-center.md), one referral of it.
fn documented_referral() -> Value {
    json!({"id":"c5fbb3b6-be74-4795-9fb5-4324c73fed37","engagementId":"65edc0b5-3485-41b7-a17e-dfa9ef4706e2",
      "organizationId":"7d23e5ca-19dc-4eaa-aac8-5e6b559f0d1d","organizationName":"Contoso Company",
      "createdDateTime":"2020-10-30T21:03:00.0000000Z","updatedDateTime":"2020-10-30T21:03:00.0000000Z",
      "status":"New","substatus":"Pending","qualification":"Direct","type":"Independent","direction":"Incoming",
      "customerProfile":{"name":"Fabrikam Customer Inc","address":{"addressLine1":"One Microsoft Way","city":"Redmond","state":"WA","postalCode":"98052","country":"US"}},
      "details":{"notes":"…","dealValue":10000,"currency":"USD","closingDateTime":"2020-12-01T00:00:00Z"}})
}

#[test]
fn documented_list_example_maps_as_expected() {
    let e = extract(&documented_referral());
    assert_eq!(
        e.referral_id.as_deref(),
        Some("c5fbb3b6-be74-4795-9fb5-4324c73fed37")
    );
    assert_eq!(e.direction.as_deref(), Some("incoming"));
    assert_eq!(e.referral_type, Some("solution-provider"));
    assert_eq!(e.type_.as_deref(), Some("Independent"));
    assert_eq!(e.qualification.as_deref(), Some("Direct"));
    assert_eq!(e.status.as_deref(), Some("New"));
    assert_eq!(e.substatus.as_deref(), Some("Pending"));
    assert_eq!(
        e.engagement_id.as_deref(),
        Some("65edc0b5-3485-41b7-a17e-dfa9ef4706e2")
    );
    assert_eq!(e.company_name.as_deref(), Some("Fabrikam Customer Inc"));
    assert_eq!(e.customer_name.as_deref(), Some("Fabrikam Customer Inc"));
    assert_eq!(e.customer_country.as_deref(), Some("US"));
    assert_eq!(
        e.deal_value.map(|d| d.to_string()).as_deref(),
        Some("10000.00")
    );
    assert_eq!(e.currency.as_deref(), Some("USD"));
    assert_eq!(
        e.pc_created_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2020-10-30T21:03:00+00:00")
    );
    assert_eq!(e.azure_tenant_id, None);
    assert_eq!(
        (e.domain, e.raw_domain, e.email, e.website),
        (None, None, None, None)
    );
    assert!(e.warnings.is_empty(), "{:?}", e.warnings);
}

#[test]
fn content_hash_sorts_keys_and_keeps_values() {
    let a = json!({"b": 1, "a": {"y": [1, "x"], "x": null}});
    let b: Value = serde_json::from_str(r#"{"a":{"x":null,"y":[1,"x"]},"b":1}"#).unwrap();
    assert_eq!(content_hash(&a), content_hash(&b));
    // sha256 of the compact sorted text, computed independently
    assert_eq!(
        content_hash(&json!({"b": 1, "a": "é"})),
        sha256_hex(r#"{"a":"é","b":1}"#)
    );
    assert_ne!(
        content_hash(&json!({"a": 1})),
        content_hash(&json!({"a": 1.0}))
    );
}

fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[test]
fn issue_examples_for_one_candidate() {
    let cases = [
        (
            "https://WWW.ÖRNEK.COM.TR/x",
            Some(("xn--rnek-4qa.com.tr", "WWW.ÖRNEK.COM.TR")),
        ),
        (
            "mail.contoso.co.uk",
            Some(("contoso.co.uk", "mail.contoso.co.uk")),
        ),
        (
            "info@satis.acme.com.tr",
            Some(("acme.com.tr", "satis.acme.com.tr")),
        ),
        ("\"Ayşe\" <a@Acme.io>", Some(("acme.io", "Acme.io"))),
        (
            "https://user:pw@Example.com:8443/x?y#z",
            Some(("example.com", "Example.com")),
        ),
        (
            "İSTANBUL-HALI.COM.TR",
            Some(("istanbul-hali.com.tr", "İSTANBUL-HALI.COM.TR")),
        ),
        (
            "www．ege-seramik．com．tr",
            Some(("ege-seramik.com.tr", "www．ege-seramik．com．tr")),
        ),
        ("foo.github.io", Some(("foo.github.io", "foo.github.io"))),
        ("gmail.com", None),
        ("192.168.1.1", None),
        ("[::1]", None),
        ("localhost", None),
        ("co.uk", None),
    ];
    for (input, expected) in cases {
        let got = normalize_domain(input);
        let expected = expected.map(|(d, r)| (d.to_owned(), r.to_owned()));
        assert_eq!(got, expected, "{input}");
    }
}
