//! Received-SMS webhooks: the legacy JSON and the signed V2 envelope.

use smsmobileapi::webhook::{
    self, EventData, LegacyReceivedSms, MAX_SKEW_SECS, SignedHeaders, WebhookError,
};

const SECRET: &[u8] = b"whsec_test_5f1c";
const NOW: u64 = 1_774_040_864;

#[test]
fn legacy_body_as_documented() {
    let body = br#"{"date":"2025-01-20","hour":"10:15:00","time_received":"2025-01-20 10:14:50",
        "message":"Yes, deliver tomorrow","number":"+123456789","guid":"abcde12345"}"#;
    let sms = LegacyReceivedSms::parse(body).unwrap();
    assert_eq!(sms.date.as_deref(), Some("2025-01-20"));
    assert_eq!(sms.hour.as_deref(), Some("10:15:00"));
    assert_eq!(sms.time_received.as_deref(), Some("2025-01-20 10:14:50"));
    assert_eq!(sms.message, "Yes, deliver tomorrow");
    assert_eq!(sms.number, "+123456789");
    assert_eq!(sms.guid.as_deref(), Some("abcde12345"));
    assert!(!format!("{sms:?}").contains("123456789"));
    assert!(matches!(
        LegacyReceivedSms::parse(br#"{"message":"hi"}"#),
        Err(WebhookError::Malformed(_))
    ));
    assert!(matches!(
        LegacyReceivedSms::parse(b"message=hi"),
        Err(WebhookError::Malformed(_))
    ));
}

fn received_body() -> Vec<u8> {
    br#"{"id":"evt_01HZX3","type":"sms.received","api_version":"2","created_at":"2026-03-20T21:07:45Z","occurred_at":"2026-03-20T21:07:44Z","data":{"guid":"abcde12345","from":"+32470000001","message":"STOP","received_at":"2026-03-20T21:07:44Z","alias":"Alice","device_id":"a1b2c3d4"}}"#.to_vec()
}

fn headers(event: &str, timestamp: u64, signature: String) -> Vec<(String, String)> {
    vec![
        ("x-smsmobileapi-event".into(), event.into()),
        ("X-SMSMobileAPI-Event-ID".into(), "evt_01HZX3".into()),
        ("X-SMSMobileAPI-Timestamp".into(), timestamp.to_string()),
        ("X-SMSMobileAPI-Signature".into(), signature),
        ("Idempotency-Key".into(), "evt_01HZX3".into()),
    ]
}

fn signed(event: &str, body: &[u8], timestamp: u64) -> SignedHeaders {
    let sig = webhook::sign(SECRET, &timestamp.to_string(), body);
    SignedHeaders::from_pairs(&headers(event, timestamp, sig)).unwrap()
}

#[test]
fn v2_sms_received_verifies_and_parses() {
    let body = received_body();
    let event = webhook::verify(SECRET, &signed("sms.received", &body, NOW), &body, NOW).unwrap();
    assert_eq!(event.id, "evt_01HZX3");
    assert_eq!(event.api_version.as_deref(), Some("2"));
    assert_eq!(event.idempotency_key.as_deref(), Some("evt_01HZX3"));
    let EventData::SmsReceived(msg) = &event.data else {
        panic!("{:?}", event.data)
    };
    assert_eq!(msg.from, "+32470000001");
    assert_eq!(msg.message, "STOP");
    assert_eq!(msg.guid.as_deref(), Some("abcde12345"));
    assert_eq!(msg.device_id.as_deref(), Some("a1b2c3d4"));
    assert_eq!(msg.alias.as_deref(), Some("Alice"));
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(json["data"]["type"], "sms.received");
}

#[test]
fn signature_is_hmac_sha256_of_timestamp_dot_body() {
    // Independent computation of the documented scheme.
    use hmac::{Hmac, Mac};
    let body = received_body();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET).unwrap();
    mac.update(format!("{NOW}.").as_bytes());
    mac.update(&body);
    let expected = format!("v1={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(webhook::sign(SECRET, &NOW.to_string(), &body), expected);
}

#[test]
fn tampering_and_wrong_secret_are_refused() {
    let body = received_body();
    let h = signed("sms.received", &body, NOW);
    let mut tampered = body.clone();
    let at = tampered.len() - 3;
    tampered[at] = b'X';
    assert_eq!(
        webhook::verify(SECRET, &h, &tampered, NOW),
        Err(WebhookError::BadSignature)
    );
    assert_eq!(
        webhook::verify(b"other", &h, &body, NOW),
        Err(WebhookError::BadSignature)
    );
    // Another timestamp than the signed one.
    let mut moved = h.clone();
    moved.timestamp = (NOW + 1).to_string();
    assert_eq!(
        webhook::verify(SECRET, &moved, &body, NOW),
        Err(WebhookError::BadSignature)
    );
    let mut junk = h.clone();
    junk.signature = "v1=zz".into();
    assert_eq!(
        webhook::verify(SECRET, &junk, &body, NOW),
        Err(WebhookError::BadSignature)
    );
    // A rotated secret: any of several v1 values may match.
    let mut rotated = h.clone();
    rotated.signature = format!("v1=00ff, {}", h.signature);
    assert!(webhook::verify(SECRET, &rotated, &body, NOW).is_ok());
}

#[test]
fn stale_and_future_timestamps_are_refused() {
    let body = received_body();
    let old = NOW - MAX_SKEW_SECS - 1;
    assert_eq!(
        webhook::verify(SECRET, &signed("sms.received", &body, old), &body, NOW),
        Err(WebhookError::Stale { skew_secs: 301 })
    );
    let future = NOW + 400;
    assert_eq!(
        webhook::verify(SECRET, &signed("sms.received", &body, future), &body, NOW),
        Err(WebhookError::Stale { skew_secs: 400 })
    );
    let edge = NOW - MAX_SKEW_SECS;
    assert!(webhook::verify(SECRET, &signed("sms.received", &body, edge), &body, NOW).is_ok());
}

#[test]
fn missing_headers_are_named() {
    let body = received_body();
    let mut h = headers("sms.received", NOW, webhook::sign(SECRET, "1", &body));
    h.retain(|(k, _)| !k.eq_ignore_ascii_case("X-SMSMobileAPI-Signature"));
    assert_eq!(
        SignedHeaders::from_pairs(&h),
        Err(WebhookError::MissingHeader("X-SMSMobileAPI-Signature"))
    );
    let h = vec![("X-SMSMobileAPI-Event".to_owned(), " ".to_owned())];
    assert_eq!(
        SignedHeaders::from_pairs(&h),
        Err(WebhookError::MissingHeader("X-SMSMobileAPI-Event"))
    );
}

#[test]
fn other_event_types() {
    let sent = br#"{"id":"evt_2","type":"sms.sent","api_version":"2","created_at":"x","occurred_at":"y","data":{"guid":"c319d3b3","to":"+32470000001"}}"#;
    let e = webhook::verify(SECRET, &signed("sms.sent", sent, NOW), sent, NOW).unwrap();
    let EventData::SmsSent(s) = &e.data else {
        panic!("{:?}", e.data)
    };
    assert_eq!(s.guid.as_deref(), Some("c319d3b3"));
    assert_eq!(s.raw.value().unwrap()["to"], "+32470000001");

    let failed = br#"{"id":"evt_3","type":"sms.failed","data":{"guid":"c319d3b3","error":"RESULT_ERROR_NO_SERVICE"}}"#;
    let e = webhook::verify(SECRET, &signed("sms.failed", failed, NOW), failed, NOW).unwrap();
    let EventData::SmsFailed(s) = &e.data else {
        panic!("{:?}", e.data)
    };
    assert_eq!(s.error.as_deref(), Some("RESULT_ERROR_NO_SERVICE"));

    let wa = br#"{"id":"evt_4","type":"whatsapp.received","data":{"from":"32470000001","message":"ok"}}"#;
    let e = webhook::verify(SECRET, &signed("whatsapp.received", wa, NOW), wa, NOW).unwrap();
    assert!(matches!(e.data, EventData::WhatsappReceived(ref m) if m.from == "32470000001"));

    let new =
        br#"{"id":"evt_5","type":"device.battery_low","data":{"device_id":"a1","battery":9}}"#;
    let e = webhook::verify(SECRET, &signed("device.battery_low", new, NOW), new, NOW).unwrap();
    let EventData::Other { kind, data } = &e.data else {
        panic!("{:?}", e.data)
    };
    assert_eq!(kind, "device.battery_low");
    assert_eq!(data.value().unwrap()["battery"], 9);
}

#[test]
fn malformed_envelopes() {
    let cases: [(&str, &[u8]); 4] = [
        ("sms.received", b"not json"),
        ("sms.received", br#"{"type":"sms.received","data":{}}"#),
        (
            "sms.sent",
            br#"{"id":"e","type":"sms.received","data":{"from":"1"}}"#,
        ),
        (
            "sms.received",
            br#"{"id":"e","type":"sms.received","data":{"message":"no sender"}}"#,
        ),
    ];
    for (event, body) in cases {
        let r = webhook::verify(SECRET, &signed(event, body, NOW), body, NOW);
        assert!(matches!(r, Err(WebhookError::Malformed(_))), "{r:?}");
    }
    let body = received_body();
    let mut h = signed("sms.received", &body, NOW);
    h.timestamp = "yesterday".into();
    assert!(matches!(
        webhook::verify(SECRET, &h, &body, NOW),
        Err(WebhookError::Malformed(_))
    ));
}

/// A header may list several `v1=` values (a secret rotation lists two): the real one among
/// any number of junk values verifies, and junk alone does not. The check computes the HMAC
/// of the body once and compares each value to it (`signature_matches`): the header is the
/// sender's, read before anything is authenticated, and one HMAC per value let a forged 1 MiB
/// request with a thousand junk values cost a thousand HMACs of its body. That cost is a
/// matter for the code's shape and `cargo bench`, not for a timed test.
#[test]
fn a_signature_header_may_list_many_values() {
    let mut body = received_body();
    body.resize(64 * 1024, b' ');
    let junk = format!("v1={}", "ab".repeat(32));
    let one = signed("sms.received", &body, NOW);
    let mut many = one.clone();
    many.signature = vec![junk.as_str(); 1000].join(",");
    assert_eq!(
        webhook::verify(SECRET, &many, &body, NOW),
        Err(WebhookError::BadSignature)
    );
    for at in [0, 500, 1000] {
        let mut values = vec![junk.clone(); 1000];
        values.insert(at, one.signature.clone());
        many.signature = values.join(",");
        assert_ne!(
            webhook::verify(SECRET, &many, &body, NOW).err(),
            Some(WebhookError::BadSignature),
            "the real value at {at}"
        );
    }
}
