//! Wire format of every endpoint: method, exact path (trailing slash included), parameter
//! names and values, form encoding, and where the credential goes.

use smsmobileapi::{
    ApiKey, Auth, BaseUrl, Call, ClientCredentials, DeleteDevice, DeleteSms, FORM_CONTENT_TYPE,
    HttpRequest, ListDevices, MarkRead, Method, ReceivedQuery, RequestToken, Resend, SendMessage,
    SentLogQuery, SimPort, UpdateDeviceLabel,
};

fn key() -> Auth {
    Auth::ApiKey(ApiKey::new("KEY-123").unwrap())
}

fn base() -> BaseUrl {
    BaseUrl::parse("https://api.smsmobileapi.com/").unwrap()
}

fn decode(s: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(s.as_bytes()).into_owned().collect()
}

/// `(path, params)` of a GET, checking there is no body.
fn get_parts(req: &HttpRequest) -> (String, Vec<(String, String)>) {
    assert_eq!(req.method, Method::Get);
    assert!(req.body.is_empty());
    let url = req
        .url
        .strip_prefix("https://api.smsmobileapi.com")
        .unwrap();
    match url.split_once('?') {
        Some((path, q)) => (path.to_owned(), decode(q)),
        None => (url.to_owned(), vec![]),
    }
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn send_posts_a_form_to_sendsms_with_trailing_slash() {
    let req = SendMessage::new("+32470000001", "Hello").request(&key(), &base());
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url, "https://api.smsmobileapi.com/sendsms/");
    assert_eq!(req.header("content-type"), Some(FORM_CONTENT_TYPE));
    assert_eq!(
        String::from_utf8(req.body).unwrap(),
        "apikey=KEY-123&recipients=%2B32470000001&message=Hello"
    );
}

#[test]
fn send_carries_every_option_under_its_api_name() {
    let call = SendMessage {
        shorturl: Some(true),
        s_identifiant: Some("phone-a".into()),
        sendwa: Some(true),
        sendsms: Some(false),
        encrypt_message: true,
        schedule_timestamp: Some(1_774_040_864),
        waonly: true,
        url_media: Some("https://shop.example/p.jpg?x=1&y=2".into()),
        port: Some(SimPort::Sim2),
        ..SendMessage::new("32470000001,32470000002", "Order #1001 & co + 🎉 100%")
    };
    let req = call.request(&key(), &base());
    let body = String::from_utf8(req.body.clone()).unwrap();
    // Reserved characters are escaped: `&` and `+` would otherwise split or become spaces.
    assert!(
        body.contains("message=Order+%231001+%26+co+%2B+%F0%9F%8E%89+100%25"),
        "{body}"
    );
    assert_eq!(
        decode(&body),
        pairs(&[
            ("apikey", "KEY-123"),
            ("recipients", "32470000001,32470000002"),
            ("message", "Order #1001 & co + 🎉 100%"),
            ("shorturl", "1"),
            ("sIdentifiant", "phone-a"),
            ("sendwa", "1"),
            ("sendsms", "0"),
            ("encrypt_message", "yes"),
            ("schedule_timestamp", "1774040864"),
            ("waonly", "yes"),
            ("url_media", "https://shop.example/p.jpg?x=1&y=2"),
            ("port", "2"),
        ])
    );
}

/// WhatsApp recipients are written without `+` or `00` (the phone fails them otherwise):
/// a WhatsApp-only send writes E.164 numbers that way; an SMS keeps them as given.
#[test]
fn whatsapp_only_sends_write_numbers_without_the_international_prefix() {
    let recipients = |call: SendMessage| {
        let body = String::from_utf8(call.request(&key(), &base()).body).unwrap();
        decode(&body)
            .into_iter()
            .find(|(k, _)| k == "recipients")
            .unwrap()
            .1
    };
    let planned = "+32470000001, 0033612345678";
    let waonly = SendMessage {
        waonly: true,
        ..SendMessage::new(planned, "Hi")
    };
    assert_eq!(recipients(waonly), "32470000001,33612345678");
    let no_sms = SendMessage {
        sendwa: Some(true),
        sendsms: Some(false),
        ..SendMessage::new(planned, "Hi")
    };
    assert_eq!(recipients(no_sms), "32470000001,33612345678");
    assert_eq!(recipients(SendMessage::new(planned, "Hi")), planned);
    // SMS and WhatsApp in one call: the SMS needs the `+`, so nothing is rewritten.
    let both = SendMessage {
        sendwa: Some(true),
        ..SendMessage::new(planned, "Hi")
    };
    assert_eq!(recipients(both), planned);
    assert_eq!(
        recipients(SendMessage {
            waonly: true,
            ..SendMessage::new("32470000001", "Hi")
        }),
        "32470000001"
    );
}

#[test]
fn bearer_auth_goes_in_a_header_not_the_form() {
    let req =
        SendMessage::new("+32470000001", "Hi").request(&Auth::Bearer("tok-xyz".into()), &base());
    assert_eq!(req.header("authorization"), Some("Bearer tok-xyz"));
    assert!(!String::from_utf8(req.body).unwrap().contains("apikey"));
    let req = MarkRead {
        guid_message: "g1".into(),
    }
    .request(&Auth::Bearer("tok-xyz".into()), &base());
    assert_eq!(get_parts(&req).1, pairs(&[("guid_message", "g1")]));
}

#[test]
fn resend_posts_the_guid() {
    let req = Resend {
        guid: "c319d3b3".into(),
    }
    .request(&key(), &base());
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url, "https://api.smsmobileapi.com/resend/");
    assert_eq!(
        decode(std::str::from_utf8(&req.body).unwrap()),
        pairs(&[("apikey", "KEY-123"), ("guid", "c319d3b3")])
    );
}

#[test]
fn sent_log_gets_with_every_filter() {
    let (path, params) = get_parts(&SentLogQuery::default().request(&key(), &base()));
    assert_eq!(path, "/log/sent/sms/");
    assert_eq!(params, pairs(&[("apikey", "KEY-123")]));

    let q = SentLogQuery {
        guid_message: Some("g1".into()),
        before: Some("1774040864".into()),
        error_api: true,
        error_mobile: true,
        keyword: Some("#1001 & co".into()),
    };
    let (path, params) = get_parts(&q.request(&key(), &base()));
    assert_eq!(path, "/log/sent/sms/");
    assert_eq!(
        params,
        pairs(&[
            ("apikey", "KEY-123"),
            ("guid_message", "g1"),
            ("before", "1774040864"),
            ("error_api", "1"),
            ("error_mobile", "1"),
            ("keyword", "#1001 & co"),
        ])
    );
}

#[test]
fn received_gets_with_every_filter() {
    let q = ReceivedQuery {
        s_identifiant_phone: Some("phone-a".into()),
        after_timestamp_unix: Some(1_737_364_490),
        onlyunread: true,
    };
    let (path, params) = get_parts(&q.request(&key(), &base()));
    assert_eq!(path, "/getsms/");
    assert_eq!(
        params,
        pairs(&[
            ("apikey", "KEY-123"),
            ("sIdentifiantPhone", "phone-a"),
            ("after_timestamp_unix", "1737364490"),
            ("onlyunread", "yes"),
        ])
    );
    let (_, params) = get_parts(&ReceivedQuery::default().request(&key(), &base()));
    assert_eq!(params, pairs(&[("apikey", "KEY-123")]));
}

#[test]
fn mark_read_uses_the_set_read_path() {
    let req = MarkRead {
        guid_message: "abcde12345".into(),
    }
    .request(&key(), &base());
    let (path, params) = get_parts(&req);
    assert_eq!(path, "/getsms/set-read/");
    assert_eq!(
        params,
        pairs(&[("apikey", "KEY-123"), ("guid_message", "abcde12345")])
    );
}

#[test]
fn delete_has_exactly_three_forms() {
    let cases = [
        (
            DeleteSms::ByGuid("abcde12345".into()),
            pairs(&[("apikey", "KEY-123"), ("guid_message", "abcde12345")]),
        ),
        (
            DeleteSms::OnDay("2026-03-20".into()),
            pairs(&[("apikey", "KEY-123"), ("date_start", "2026-03-20")]),
        ),
        (
            DeleteSms::Range {
                start: "2026-03-01".into(),
                end: "2026-03-20".into(),
            },
            pairs(&[
                ("apikey", "KEY-123"),
                ("date_start", "2026-03-01"),
                ("date_end", "2026-03-20"),
            ]),
        ),
    ];
    for (call, expected) in cases {
        let (path, params) = get_parts(&call.request(&key(), &base()));
        assert_eq!(path, "/deletesms/");
        assert_eq!(params, expected);
    }
}

#[test]
fn gateway_calls_use_their_paths() {
    let (path, params) = get_parts(
        &ListDevices {
            sid: Some("a1b2c3d4".into()),
            search: Some("4.2 label".into()),
        }
        .request(&key(), &base()),
    );
    assert_eq!(path, "/gateway/mobile/list/");
    assert_eq!(
        params,
        pairs(&[
            ("apikey", "KEY-123"),
            ("sid", "a1b2c3d4"),
            ("search", "4.2 label")
        ])
    );

    let (path, params) = get_parts(
        &UpdateDeviceLabel {
            sid: "a1b2c3d4".into(),
            label: "Caisse & co".into(),
        }
        .request(&key(), &base()),
    );
    assert_eq!(path, "/gateway/mobile/update/");
    assert_eq!(
        params,
        pairs(&[
            ("apikey", "KEY-123"),
            ("sid", "a1b2c3d4"),
            ("label", "Caisse & co")
        ])
    );

    let (path, params) = get_parts(
        &DeleteDevice {
            sid: "a1b2c3d4".into(),
        }
        .request(&key(), &base()),
    );
    assert_eq!(path, "/gateway/mobile/delete/");
    assert_eq!(params, pairs(&[("apikey", "KEY-123"), ("sid", "a1b2c3d4")]));
}

#[test]
fn empty_label_is_still_sent() {
    let req = UpdateDeviceLabel {
        sid: "a1b2c3d4".into(),
        label: String::new(),
    }
    .request(&key(), &base());
    assert!(req.url.ends_with("&label="), "{}", req.url);
}

#[test]
fn token_posts_client_credentials_without_apikey() {
    let creds = ClientCredentials::new("client-1", "s3cr&t+").unwrap();
    let req = RequestToken(creds).request(&key(), &base());
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url, "https://api.smsmobileapi.com/oauth2/token");
    assert_eq!(req.header("authorization"), None);
    assert_eq!(
        decode(std::str::from_utf8(&req.body).unwrap()),
        pairs(&[
            ("grant_type", "client_credentials"),
            ("client_id", "client-1"),
            ("client_secret", "s3cr&t+"),
        ])
    );
}

#[test]
fn base_url_with_prefix_keeps_paths_exact() {
    let base = BaseUrl::parse("http://127.0.0.1:8787/api").unwrap();
    let req = SentLogQuery::default().request(&key(), &base);
    assert_eq!(
        req.url,
        "http://127.0.0.1:8787/api/log/sent/sms/?apikey=KEY-123"
    );
}
