//! Parsing of every endpoint's answers: the documented success bodies, the loosely typed
//! variants seen in the wild, and each error shape mapped to the kind a caller acts on.

use smsmobileapi::{
    ApiError, Call, ClientCredentials, DeleteDevice, DeleteSms, HttpResponse, ListDevices,
    MarkRead, ReceivedQuery, RequestToken, Resend, SendMessage, SentLogQuery, TimeReceived,
    TrialAccount, UpdateDeviceLabel,
};
use std::time::Duration;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn ok(body: Vec<u8>) -> HttpResponse {
    HttpResponse::new(200, body)
}

fn send() -> SendMessage {
    SendMessage::new("+32470000001", "Hello")
}

#[test]
fn documented_send_success_body() {
    let out = send().parse(&ok(fixture("sendsms_success.json"))).unwrap();
    assert_eq!(
        out.guid.as_deref(),
        Some("c319d3b35e8f8712cde20dae39ac3c19f86eda25")
    );
    assert_eq!(out.note.as_deref(), Some("sent by mobile"));
    assert_eq!(out.datetime.as_deref(), Some("2026-03-20T21:07:44Z"));
    assert_eq!(
        out.datetime_local.as_deref(),
        Some("2026-03-20T22:07:44+01:00")
    );
    assert_eq!(out.port, None);
    assert!(!out.whatsapp);
    assert!(!out.encrypted);
    assert_eq!(
        out.trial,
        Some(TrialAccount {
            active: false,
            sms_sent: Some(0)
        })
    );
}

#[test]
fn send_success_with_types_swapped() {
    let out = send()
        .parse(&ok(fixture("sendsms_string_types.json")))
        .unwrap();
    assert_eq!(
        out.guid.as_deref(),
        Some("9f2c1a7be0d44c55a1e2f3a4b5c6d7e8f9a0b1c2")
    );
    assert!(out.whatsapp);
    assert!(out.encrypted);
    assert_eq!(
        out.trial,
        Some(TrialAccount {
            active: true,
            sms_sent: Some(17)
        })
    );
}

#[test]
fn old_status_success_body_is_a_success_without_guid() {
    let out = send()
        .parse(&ok(fixture("sendsms_old_status_success.json")))
        .unwrap();
    assert_eq!(out.guid, None);
    assert_eq!(out.note.as_deref(), Some("Message sent"));
}

#[test]
fn application_errors_inside_http_200() {
    let parse = |name: &str| send().parse(&ok(fixture(name))).unwrap_err();
    assert_eq!(
        parse("sendsms_subscription_expire.json"),
        ApiError::SubscriptionExpired {
            message: Some("Your subscription has expired".into())
        }
    );
    assert_eq!(
        parse("sendsms_error_1.json"),
        ApiError::BadKey {
            status: 200,
            message: Some("Invalid API key".into())
        }
    );
    assert_eq!(
        parse("sendsms_error_2.json"),
        ApiError::PhoneOffline {
            message: Some("No mobile connected".into())
        }
    );
    assert_eq!(
        parse("sendsms_sent_api_error.json"),
        ApiError::Api {
            code: "api_error".into(),
            message: Some("Recipient refused by the gateway".into())
        }
    );
    assert_eq!(
        parse("bare_error.json"),
        ApiError::Api {
            code: "unknown_sim".into(),
            message: Some("Port 3 does not exist on this device".into())
        }
    );
    // `sent: "no"` with no error code still fails.
    let e = send()
        .parse(&ok(br#"{"result":{"error":0,"sent":"no"}}"#.to_vec()))
        .unwrap_err();
    assert_eq!(
        e,
        ApiError::Api {
            code: "no".into(),
            message: None
        }
    );
}

/// A 403 whose body is not JSON comes from something in front of the API (a CDN or WAF
/// block page, a proxy), not from SMSMobileAPI, which answers its errors in JSON: it says
/// nothing about the key, and must not be reported (or acted on) as a bad key.
#[test]
fn a_403_page_from_in_front_of_the_api_is_not_a_bad_key() {
    let waf = "<!DOCTYPE html>\n<!--[if lt IE 7]> <html class=\"no-js ie6 oldie\" lang=\"en-US\"> <![endif]-->\n\
<head>\n<title>Attention Required! | Cloudflare</title>\n<meta charset=\"UTF-8\" />\n</head>\n\
<body>\n<h1 data-translate=\"block_headline\">Sorry, you have been blocked</h1>\n\
<h2 class=\"cf-subheadline\">You are unable to access smsmobileapi.com</h2>\n\
<span class=\"cf-footer-item\">Cloudflare Ray ID: <strong>8c1f2e3d4a5b6c7d</strong></span>\n</body>\n</html>\n";
    for (status, body) in [
        (403, waf),
        (403, "<html>403 Forbidden</html>"),
        (403, "error code: 1020"),
        (
            401,
            "<html><body><h1>401 Authorization Required</h1></body></html>",
        ),
    ] {
        let e = send().parse(&HttpResponse::new(status, body)).unwrap_err();
        assert!(!e.is_auth(), "{status} {body:?} read as a bad key: {e:?}");
        let ApiError::Unparseable { status: s, snippet } = &e else {
            panic!("{status} {body:?}: {e:?}");
        };
        assert_eq!(*s, status);
        assert!(!snippet.is_empty());
        assert!(!e.to_string().contains("API key"), "{e}");
    }
    // The same status with the API's own JSON still is a bad key.
    let e = send()
        .parse(&HttpResponse::new(
            403,
            r#"{"error":"invalid_api_key","message":"the API key is invalid or has expired"}"#,
        ))
        .unwrap_err();
    assert!(e.is_auth(), "{e:?}");
}

#[test]
fn http_statuses_map_to_kinds() {
    let e = send()
        .parse(&HttpResponse::new(403, r#"{"error":"Forbidden"}"#))
        .unwrap_err();
    assert!(matches!(e, ApiError::BadKey { status: 403, .. }), "{e:?}");
    assert!(!e.is_retryable());

    // A 403 with no body at all: the status alone says bad key.
    let e = send().parse(&HttpResponse::new(403, "")).unwrap_err();
    assert_eq!(
        e,
        ApiError::BadKey {
            status: 403,
            message: None
        }
    );

    // A 403 that says why: an expired subscription is not a bad key.
    let e = send()
        .parse(&HttpResponse::new(
            403,
            fixture("sendsms_subscription_expire.json"),
        ))
        .unwrap_err();
    assert!(matches!(e, ApiError::SubscriptionExpired { .. }), "{e:?}");

    let e = send()
        .parse(&HttpResponse::new(
            400,
            fixture("missing_parameter_400.json"),
        ))
        .unwrap_err();
    assert_eq!(
        e,
        ApiError::Validation {
            message: "Missing parameter: recipients".into()
        }
    );
    assert!(!e.is_retryable());

    let e = send()
        .parse(&HttpResponse::new(429, "").with_header("Retry-After", "17"))
        .unwrap_err();
    assert_eq!(
        e,
        ApiError::RateLimited {
            retry_after: Some(Duration::from_secs(17))
        }
    );
    assert!(e.is_retryable());
    assert_eq!(e.retry_after(), Some(Duration::from_secs(17)));

    let e = send()
        .parse(
            &HttpResponse::new(429, "").with_header("retry-after", "Wed, 21 Oct 2026 07:28:00 GMT"),
        )
        .unwrap_err();
    assert_eq!(e, ApiError::RateLimited { retry_after: None });

    for status in [500, 502, 503] {
        let e = send()
            .parse(&HttpResponse::new(status, "<h1>Bad gateway</h1>"))
            .unwrap_err();
        assert_eq!(e, ApiError::Server { status });
        assert!(e.is_retryable());
    }

    let e = send()
        .parse(&HttpResponse::new(404, "<html>Not Found</html>"))
        .unwrap_err();
    assert!(
        matches!(e, ApiError::UnexpectedStatus { status: 404, .. }),
        "{e:?}"
    );
}

#[test]
fn garbage_bodies_are_unparseable_with_a_safe_snippet() {
    let body = format!("<html>{}</html>", "é".repeat(300));
    let e = send()
        .parse(&HttpResponse::new(200, body.clone()))
        .unwrap_err();
    let ApiError::Unparseable { status, snippet } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(*status, 200);
    assert!(snippet.starts_with("<html>éé"));
    assert!(snippet.ends_with('…'));
    assert!(snippet.len() < 220);
    assert!(!e.is_retryable());

    // Truncated JSON.
    let e = send()
        .parse(&HttpResponse::new(200, r#"{"result":{"error":0,"se"#))
        .unwrap_err();
    assert!(matches!(e, ApiError::Unparseable { .. }));
    // Not even UTF-8.
    let e = send()
        .parse(&HttpResponse::new(200, vec![0xff, 0x00, 0xfe]))
        .unwrap_err();
    assert!(matches!(e, ApiError::Unparseable { .. }));
}

#[test]
fn sent_log_rows() {
    let rows = SentLogQuery::default()
        .parse(&ok(fixture("log_sent_sms.json")))
        .unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows[0].guid.as_deref(),
        Some("c319d3b35e8f8712cde20dae39ac3c19f86eda25")
    );
    assert_eq!(rows[0].recipient.as_deref(), Some("+32470000001"));
    assert!(rows[0].sent_by_mobile);
    assert_eq!(rows[0].mobile_error, None);
    assert_eq!(rows[0].error_api, None);
    assert_eq!(rows[0].s_identifiant.as_deref(), Some("phone-a"));
    assert_eq!(rows[1].message.as_deref(), Some("Order #1002 & co + 🎉"));
    assert!(!rows[1].sent_by_mobile);
    assert_eq!(
        rows[1].mobile_error.as_deref(),
        Some("RESULT_ERROR_GENERIC_FAILURE")
    );
    assert_eq!(rows[1].error_api, None);
    assert_eq!(rows[2].mobile_error, None);
    assert_eq!(rows[2].error_api.as_deref(), Some("Quota reached"));
}

/// The Worker looks a message up in the sent log after an ambiguous send and sends again only
/// when it is not there: rows it cannot read must be an error, never an empty log.
#[test]
fn sent_log_rows_keyed_by_index_are_read_and_unreadable_rows_are_an_error() {
    let log: serde_json::Value = serde_json::from_slice(&fixture("log_sent_sms.json")).unwrap();
    let rows = log["result"]["sms"].as_array().unwrap().clone();

    // PHP's json_encode of a filtered array: {"0": row, "2": row, ...}.
    let keyed: serde_json::Map<String, serde_json::Value> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| ((i * 2).to_string(), row.clone()))
        .collect();
    let body = serde_json::json!({"result": {"error": 0, "sms": keyed}});
    let read = SentLogQuery::default()
        .parse(&ok(body.to_string().into_bytes()))
        .unwrap();
    assert_eq!(read.len(), 3);
    assert_eq!(
        read[0].guid.as_deref(),
        Some("c319d3b35e8f8712cde20dae39ac3c19f86eda25")
    );
    assert_eq!(read[2].error_api.as_deref(), Some("Quota reached"));

    let mut with_a_bad_row = rows.clone();
    with_a_bad_row.push(serde_json::json!("deleted"));
    for sms in [
        serde_json::Value::Array(with_a_bad_row),
        serde_json::json!({"latest": rows[0]}),
    ] {
        let body = serde_json::json!({"result": {"error": 0, "sms": sms}});
        let e = SentLogQuery::default()
            .parse(&ok(body.to_string().into_bytes()))
            .unwrap_err();
        assert!(matches!(e, ApiError::Unparseable { .. }), "{e:?}");
    }
}

#[test]
fn received_rows_with_mixed_types_and_millisecond_times() {
    let rows = ReceivedQuery::default()
        .parse(&ok(fixture("getsms.json")))
        .unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].id.as_deref(), Some("4512"));
    assert_eq!(rows[0].s_identifiant_phone.as_deref(), Some("phone-a"));
    assert_eq!(rows[0].timestamp_unix, Some(1_737_364_490));
    assert_eq!(rows[0].message, "Can I change the address?");
    assert_eq!(rows[0].number, "+32470000001");
    assert_eq!(rows[0].guid.as_deref(), Some("abcde12345"));
    assert_eq!(rows[0].alias.as_deref(), Some("Alice"));
    assert_eq!(rows[0].time_received, None);
    assert_eq!(rows[1].id.as_deref(), Some("4513"));
    assert_eq!(rows[1].alias, None);
    assert_eq!(
        rows[1].time_received,
        Some(TimeReceived::Unix(1_737_364_549))
    );
    assert_eq!(rows[2].alias, None);
    assert_eq!(
        rows[2].time_received,
        Some(TimeReceived::Text("2025-01-20 10:16:40".into()))
    );

    // Outputs serialize as the JSON the CLI prints.
    let json = serde_json::to_value(&rows[1]).unwrap();
    assert_eq!(json["sIdentifiantPhone"], "phone-a");
    assert_eq!(json["time_received"], 1_737_364_549u64);

    let none = ReceivedQuery::default()
        .parse(&ok(fixture("getsms_empty.json")))
        .unwrap();
    assert!(none.is_empty());
    let none = ReceivedQuery::default()
        .parse(&ok(br#"{"result":{"error":0,"sms":"no sms"}}"#.to_vec()))
        .unwrap();
    assert!(none.is_empty());
}

#[test]
fn received_error_shapes() {
    let e = ReceivedQuery::default()
        .parse(&ok(
            br#"{"result":{"error":1,"message":"Invalid API key"}}"#.to_vec(),
        ))
        .unwrap_err();
    assert!(e.is_auth());
}

#[test]
fn device_list() {
    let list = ListDevices::default()
        .parse(&ok(fixture("gateway_list.json")))
        .unwrap();
    assert_eq!(list.connected_available, Some(1));
    assert_eq!(list.connected_limit, Some(2));
    assert_eq!(list.connected_now, Some(1));
    assert_eq!(list.note.as_deref(), Some("2 devices"));
    assert_eq!(list.items.len(), 2);
    let a = &list.items[0];
    assert_eq!(a.sid.as_deref(), Some("a1b2c3d4"));
    assert_eq!(a.label.as_deref(), Some("Shop counter"));
    assert_eq!(a.battery, Some(87));
    assert_eq!(a.version.as_deref(), Some("4.2.1"));
    assert_eq!(a.last_seen.as_deref(), Some("2026-03-20 22:05:00"));
    let b = &list.items[1];
    assert_eq!(b.label, None);
    assert_eq!(b.battery, Some(12));
    assert_eq!(b.last_seen.as_deref(), Some("2026-03-18 09:00:00"));

    let e = ListDevices::default()
        .parse(&ok(br#"{"success":false,"message":"Unknown sid"}"#.to_vec()))
        .unwrap_err();
    assert_eq!(
        e,
        ApiError::Api {
            code: "failed".into(),
            message: Some("Unknown sid".into())
        }
    );
}

#[test]
fn acknowledgements_keep_note_and_body() {
    let body = br#"{"result":{"error":0,"note":"Message queued again"}}"#.to_vec();
    let ack = Resend { guid: "g".into() }.parse(&ok(body)).unwrap();
    assert_eq!(ack.note.as_deref(), Some("Message queued again"));
    assert_eq!(
        ack.details.value().unwrap()["result"]["note"],
        "Message queued again"
    );

    let ack = MarkRead {
        guid_message: "g".into(),
    }
    .parse(&ok(
        br#"{"status":"success","message":"marked as read"}"#.to_vec()
    ))
    .unwrap();
    assert_eq!(ack.note.as_deref(), Some("marked as read"));

    let ack = DeleteSms::OnDay("2026-03-20".into())
        .parse(&ok(br#"{"result":{"error":"0","deleted":4}}"#.to_vec()))
        .unwrap();
    assert_eq!(ack.note, None);
    assert_eq!(ack.details.value().unwrap()["result"]["deleted"], 4);

    let ack = UpdateDeviceLabel {
        sid: "a".into(),
        label: String::new(),
    }
    .parse(&ok(br#"{"success":true,"note":"label updated"}"#.to_vec()))
    .unwrap();
    assert_eq!(ack.note.as_deref(), Some("label updated"));

    let e = DeleteDevice { sid: "zz".into() }
        .parse(&ok(
            br#"{"success":false,"error":"not_found","message":"No device zz"}"#.to_vec(),
        ))
        .unwrap_err();
    assert_eq!(
        e,
        ApiError::Api {
            code: "not_found".into(),
            message: Some("No device zz".into())
        }
    );
    let e = Resend { guid: "g".into() }
        .parse(&ok(
            br#"{"result":{"error":"Message is not in error state"}}"#.to_vec(),
        ))
        .unwrap_err();
    assert!(matches!(e, ApiError::Api { .. }), "{e:?}");
}

#[test]
fn oauth_token_and_its_errors() {
    let call = RequestToken(ClientCredentials::new("client-1", "secret").unwrap());
    let token = call.parse(&ok(fixture("oauth_token.json"))).unwrap();
    assert_eq!(token.access_token, "eyJhbGciOiJIUzI1NiJ9.c2FuZGJveA.sig");
    assert_eq!(token.token_type.as_deref(), Some("Bearer"));
    assert_eq!(token.expires_in, Some(3600));

    let token = call
        .parse(&ok(br#"{"access_token":"t","expires_in":"7200"}"#.to_vec()))
        .unwrap();
    assert_eq!(token.expires_in, Some(7200));

    let e = call
        .parse(&HttpResponse::new(
            401,
            fixture("oauth_invalid_client.json"),
        ))
        .unwrap_err();
    assert_eq!(
        e,
        ApiError::BadKey {
            status: 401,
            message: Some("Client authentication failed".into())
        }
    );
    // HTTP 200 with the OAuth error shape.
    let e = call
        .parse(&ok(fixture("oauth_invalid_client.json")))
        .unwrap_err();
    assert!(e.is_auth(), "{e:?}");
    // 200 without a token is not a success.
    let e = call
        .parse(&ok(br#"{"token_type":"Bearer"}"#.to_vec()))
        .unwrap_err();
    assert!(matches!(e, ApiError::Unparseable { .. }));
}

#[test]
fn error_messages_say_what_to_do() {
    let e = ApiError::BadKey {
        status: 403,
        message: None,
    };
    assert_eq!(
        e.to_string(),
        "SMSMobileAPI rejected the credentials (HTTP 403): check the API key or OAuth client"
    );
    let e = ApiError::RateLimited {
        retry_after: Some(Duration::from_secs(30)),
    };
    assert_eq!(
        e.to_string(),
        "SMSMobileAPI is rate limiting requests (HTTP 429), retry after 30s: slow down and retry later"
    );
}

#[test]
fn responses_carrying_a_token_or_a_phone_keep_them_out_of_debug() {
    // `{:?}` of a response is what a `dbg!` or a `?resp` log field prints; the token answer
    // holds the bearer credential and /getsms/ the customers' numbers.
    let token = ok(fixture("oauth_token.json")).with_header("Set-Cookie", "session=abc123");
    let received = ok(fixture("getsms.json"));
    let as_bytes = |s: &str| {
        s.bytes()
            .map(|b| b.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (resp, secret) in [
        (&token, "eyJhbGciOiJIUzI1NiJ9"),
        (&token, "session=abc123"),
        (&received, "+32470000001"),
    ] {
        let debug = format!("{resp:?}");
        assert!(!debug.contains(secret), "{debug}");
        assert!(
            !debug.contains(&as_bytes(secret)),
            "{secret} leaks as bytes"
        );
        assert!(
            debug.contains(&format!("status: {}", resp.status)),
            "{debug}"
        );
    }
}

#[test]
fn a_redirect_names_its_target_without_the_query() {
    let resp = HttpResponse::new(301, Vec::new()).with_header(
        "location",
        "https://api.smsmobileapi.com/getsms/?apikey=k-secret&onlyunread=yes",
    );
    let e = ReceivedQuery::default().parse(&resp).unwrap_err();
    assert_eq!(
        e,
        ApiError::UnexpectedStatus {
            status: 301,
            snippet: "redirect to https://api.smsmobileapi.com/getsms/?apikey=***&onlyunread=***"
                .into()
        }
    );
    assert_eq!(
        e.to_string(),
        "SMSMobileAPI answered HTTP 301 (redirect to https://api.smsmobileapi.com/getsms/?apikey=***&onlyunread=***): check the base URL"
    );
}

#[test]
fn an_unreadable_2xx_to_a_send_may_have_queued_the_message() {
    // A PHP notice printed before the JSON, or a body cut short: the API ran the send.
    let body = "<br />\n<b>Warning</b>:  Undefined array key \"port\" in <b>/var/www/api/sendsms/index.php</b> on line <b>88</b><br />\n{\"result\":{\"error\":0,\"sent\":\"1\",\"id\":\"c319d3b35e8f8712cde20dae39ac3c19f86eda25\"}}";
    for resp in [
        ok(body.as_bytes().to_vec()),
        ok(br#"{"result":{"error":0,"sent":"1","id":"c319d3b3"#.to_vec()),
    ] {
        let e = send().parse(&resp).unwrap_err();
        assert!(
            matches!(e, ApiError::Unparseable { status: 200, .. }),
            "{e:?}"
        );
        assert!(e.is_ambiguous(), "{e:?}");
        assert!(!e.may_retry(&send()), "never blindly resent");
    }
    // A 4xx page is a refusal: nothing was queued.
    let e = send()
        .parse(&HttpResponse::new(
            400,
            b"<html>Bad Request</html>".to_vec(),
        ))
        .unwrap_err();
    assert!(!e.is_ambiguous(), "{e:?}");
}

#[test]
fn a_send_answer_without_any_sign_of_success_is_not_a_success() {
    // Success is "result.error 0 and result.sent 1" (or the old {"status":"success"}); a
    // 2xx body that says neither was read as a sent message without a GUID, so a message
    // the phone never queued was marked sent and never retried.
    for body in [
        "{}",
        r#"{"result":{}}"#,
        r#"{"result":{"error":0}}"#,
        r#"{"result":null,"message":"Service temporarily unavailable"}"#,
    ] {
        let e = send().parse(&ok(body.as_bytes().to_vec())).unwrap_err();
        assert!(
            matches!(e, ApiError::Unparseable { status: 200, .. }),
            "{body}: {e:?}"
        );
        assert!(e.is_ambiguous(), "{body}: look it up in the sent log");
    }
    // Each documented success shape still is one.
    for body in [
        r#"{"result":{"error":0,"sent":"1"}}"#,
        r#"{"result":{"error":"0","sent":1,"id":"abc"}}"#,
        r#"{"result":{"error":0,"id":"abc"}}"#,
        r#"{"status":"success","message":"Message sent"}"#,
    ] {
        send().parse(&ok(body.as_bytes().to_vec())).unwrap();
    }
}
