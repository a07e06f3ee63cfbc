//! Every API endpoint over real HTTP: response shapes, stored state, filters, scheduling,
//! authentication and missing parameters.

mod common;

use common::{KEY, PHONE, is_guid, start};
use serde_json::json;

#[test]
fn sendsms_post_answers_the_documented_success_body_and_records_the_message() {
    let api = start();
    let a = api.send(PHONE, "Your order #1001 has shipped", &[]);
    assert_eq!(a.status, 200);
    let r = &a.body["result"];
    assert_eq!(r["error"], 0);
    assert_eq!(r["sent"], "1", "sent is a string");
    assert!(is_guid(r["id"].as_str().unwrap()), "{}", r["id"]);
    assert_eq!(r["note"], "sent by mobile");
    let dt = r["datetime"].as_str().unwrap();
    assert!(dt.len() == 20 && dt.ends_with('Z'), "{dt}");
    assert!(r["datetimeLocal"].as_str().unwrap().ends_with("+00:00"));
    assert_eq!(r["port"], json!(null));
    assert_eq!(r["iac_control"], "1");
    assert_eq!(r["iac_authorized"], "1");
    assert_eq!(r["send_with_whatsapp"], "0");
    assert_eq!(r["encrypted"], json!({"status": "0"}));
    assert_eq!(r["trial_account"], json!({"status": "0", "sms_sent": 0}));

    let stored = api.messages();
    assert_eq!(stored.len(), 1);
    let m = &stored[0];
    assert_eq!(m["guid"], r["id"]);
    assert_eq!(m["recipients"], PHONE);
    assert_eq!(m["message"], "Your order #1001 has shipped");
    assert_eq!(
        (m["sms"].as_bool(), m["whatsapp"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(m["state"], "sent");
    assert_eq!(m["sid"], "sandbox-phone-1");
}

#[test]
fn sendsms_get_takes_query_parameters_and_every_option() {
    let api = start();
    let when = "4102444800"; // 2100-01-01: stays pending
    let a = api.api_get(
        "/sendsms/",
        &[
            ("recipients", "32470123489"),
            ("message", "Bonjour"),
            ("sendwa", "1"),
            ("sendsms", "0"),
            ("shorturl", "1"),
            ("encrypt_message", "yes"),
            ("schedule_timestamp", when),
            ("url_media", "https://shop.example/p.jpg"),
            ("port", "2"),
            ("sIdentifiant", "sandbox-phone-1"),
        ],
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["result"]["send_with_whatsapp"], "1");
    assert_eq!(a.body["result"]["port"], "2");
    assert_eq!(a.body["result"]["encrypted"]["status"], "1");
    let m = &api.messages()[0];
    assert_eq!(m["whatsapp"], true);
    assert_eq!(m["sms"], false);
    assert_eq!(m["shorturl"], true);
    assert_eq!(m["encrypt"], true);
    assert_eq!(m["schedule_timestamp"], 4_102_444_800i64);
    assert_eq!(m["url_media"], "https://shop.example/p.jpg");
    assert_eq!(m["port"], 2);
    assert_eq!(m["state"], "pending");
}

#[test]
fn post_to_sendsms_without_the_trailing_slash_fails_and_records_nothing() {
    let api = start();
    let a = api.post_form(
        "/sendsms",
        &[("apikey", KEY), ("recipients", PHONE), ("message", "hi")],
    );
    assert_eq!(a.status, 405);
    assert!(a.body["message"].as_str().unwrap().contains("/sendsms/"));
    let g = api.get("/sendsms", &[("apikey", KEY)]);
    assert_eq!(g.status, 301);
    assert_eq!(g.location.as_deref(), Some("/sendsms/?apikey=sandbox-key"));
    assert!(api.messages().is_empty());
}

#[test]
fn a_wrong_key_is_403_and_a_missing_parameter_is_400_naming_it() {
    let api = start();
    let a = api.post_form(
        "/sendsms/",
        &[
            ("apikey", "wrong"),
            ("recipients", PHONE),
            ("message", "hi"),
        ],
    );
    assert_eq!(a.status, 403);
    assert_eq!(a.body["error"], "invalid_api_key");
    let a = api.post_form("/sendsms/", &[("recipients", PHONE), ("message", "hi")]);
    assert_eq!(
        (a.status, a.body["parameter"].as_str()),
        (400, Some("apikey"))
    );
    let a = api.send("", "hi", &[]);
    assert_eq!(
        (a.status, a.body["parameter"].as_str()),
        (400, Some("recipients"))
    );
    assert!(a.body["message"].as_str().unwrap().contains("recipients"));
    let a = api.send(PHONE, "  ", &[]);
    assert_eq!(
        (a.status, a.body["parameter"].as_str()),
        (400, Some("message"))
    );
    let a = api.send(PHONE, "hi", &[("schedule_timestamp", "tomorrow")]);
    assert_eq!(
        (a.status, a.body["parameter"].as_str()),
        (400, Some("schedule_timestamp"))
    );
    for path in [
        "/resend/",
        "/getsms/set-read/",
        "/gateway/mobile/update/",
        "/gateway/mobile/delete/",
    ] {
        let a = api.api_get(path, &[]);
        assert_eq!(a.status, 400, "{path}");
        assert!(a.body["parameter"].is_string(), "{path}: {}", a.body);
    }
    for path in [
        "/getsms/",
        "/log/sent/sms/",
        "/gateway/mobile/list/",
        "/deletesms/",
    ] {
        assert_eq!(api.get(path, &[("apikey", "wrong")]).status, 403, "{path}");
    }
    assert!(api.messages().is_empty());
}

#[test]
fn oauth2_client_credentials_issue_a_bearer_token_accepted_everywhere() {
    let api = start();
    let t = api.post_form(
        "/oauth2/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "shop-1"),
            ("client_secret", KEY),
        ],
    );
    assert_eq!(t.status, 200, "{}", t.body);
    assert_eq!(t.body["token_type"], "Bearer");
    assert_eq!(t.body["expires_in"], 3600);
    let token = t.body["access_token"].as_str().unwrap();
    assert_eq!(api.get_bearer("/getsms/", token).status, 200);
    assert_eq!(api.get_bearer("/gateway/mobile/list/", token).status, 200);
    assert_eq!(api.get_bearer("/getsms/", "forged").status, 403);

    let bad = api.post_form(
        "/oauth2/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "shop-1"),
            ("client_secret", "nope"),
        ],
    );
    assert_eq!(
        (bad.status, bad.body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let bad = api.post_form("/oauth2/token", &[("grant_type", "password")]);
    assert_eq!(
        (bad.status, bad.body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
    assert_eq!(api.get("/oauth2/token", &[]).status, 405);

    // An hour later the token has expired.
    api.post_json("/_sandbox/config", json!({"clock_offset_secs": 3601}));
    let expired = api.get_bearer("/getsms/", token);
    assert_eq!(
        (expired.status, expired.body["error"].as_str()),
        (403, Some("token_expired"))
    );
}

#[test]
fn the_sent_log_filters_by_guid_keyword_errors_and_before() {
    let api = start();
    let first = api.send_ok(PHONE, "Order #1 confirmed", &[]);
    let second = api.send_ok("+33612345678", "Order #2 shipped", &[]);
    api.faults(json!({"phone_failure_rate": 1.0}));
    let failed = api.send_ok(PHONE, "Order #3 refunded", &[]);
    api.faults(json!({"phone_failure_rate": 0.0, "offline_rate": 1.0}));
    let offline = api.send(PHONE, "Order #4 cancelled", &[]);
    assert_eq!(offline.status, 200);
    assert_eq!(offline.body["result"]["error"], 2);
    assert_eq!(offline.body["result"]["sent"], "no");
    api.faults(json!({"offline_rate": 0.0}));

    let all = api.log(&[]);
    assert_eq!(all.len(), 4);
    assert_eq!(all[3]["guid"], first.as_str(), "newest first");
    let row = &all[3];
    assert_eq!(row["send_from_mobile"], "1");
    assert_eq!(row["send_from_mobile_erreur"], "");
    assert_eq!(row["error_api"], "0");
    assert_eq!(row["recipients"], PHONE);
    assert_eq!(row["message"], "Order #1 confirmed");
    assert!(row["timestamp"].is_string(), "numbers as strings: {row}");

    let by_guid = api.log(&[("guid_message", &second)]);
    assert_eq!(by_guid.len(), 1);
    assert_eq!(by_guid[0]["recipients"], "+33612345678");

    let kw = api.log(&[("keyword", "SHIPPED")]);
    assert_eq!(
        kw.iter()
            .map(|r| r["guid"].as_str().unwrap())
            .collect::<Vec<_>>(),
        vec![second.as_str()]
    );
    assert_eq!(
        api.log(&[("keyword", "+3361234")]).len(),
        1,
        "keyword matches recipients"
    );

    let mobile = api.log(&[("error_mobile", "1")]);
    assert_eq!(mobile.len(), 1);
    assert_eq!(mobile[0]["guid"], failed.as_str());
    assert_eq!(mobile[0]["send_from_mobile"], "0");
    assert_eq!(
        mobile[0]["send_from_mobile_erreur"],
        "RESULT_ERROR_GENERIC_FAILURE"
    );

    let api_err = api.log(&[("error_api", "1")]);
    assert_eq!(api_err.len(), 1);
    assert_eq!(api_err[0]["message"], "Order #4 cancelled");
    assert_eq!(api_err[0]["error_api"], "1");

    let older = api.log(&[("before", &failed)]);
    assert_eq!(older.len(), 2);
    assert_eq!(older[0]["guid"], second.as_str());
    let future = "9999999999";
    assert_eq!(api.log(&[("before", future)]).len(), 4);
    assert_eq!(api.log(&[("before", "1")]).len(), 0);
    let garbage = api.api_get("/log/sent/sms/", &[("before", "not-a-guid")]);
    assert_eq!(
        (garbage.status, garbage.body["parameter"].as_str()),
        (400, Some("before"))
    );
}

#[test]
fn the_log_is_paged_by_100_and_before_reaches_older_rows() {
    let api = start();
    for i in 0..105 {
        api.send_ok(PHONE, &format!("message {i}"), &[]);
    }
    let page = api.log(&[]);
    assert_eq!(page.len(), 100);
    assert_eq!(page[0]["message"], "message 104");
    let last = page[99]["guid"].as_str().unwrap().to_owned();
    let rest = api.log(&[("before", &last)]);
    assert_eq!(rest.len(), 5);
    assert_eq!(rest[4]["message"], "message 0");
}

#[test]
fn a_scheduled_message_stays_pending_until_its_time() {
    let api = start();
    let in_an_hour = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600)
        .to_string();
    let guid = api.send_ok(
        PHONE,
        "Your delivery is tomorrow",
        &[("schedule_timestamp", &in_an_hour)],
    );
    let row = &api.log(&[("guid_message", &guid)])[0];
    assert_eq!(row["send_from_mobile"], "0");
    assert_eq!(row["schedule_timestamp"], in_an_hour.as_str());
    assert_eq!(api.messages()[0]["state"], "pending");

    api.post_json("/_sandbox/config", json!({"clock_offset_secs": 3601}));
    let row = &api.log(&[("guid_message", &guid)])[0];
    assert_eq!(row["send_from_mobile"], "1");
    assert_eq!(api.messages()[0]["state"], "sent");
}

#[test]
fn resend_moves_an_errored_message_back_to_sent_and_refuses_others() {
    let api = start();
    let ok = api.send_ok(PHONE, "fine", &[]);
    api.faults(json!({"phone_failure_rate": 1.0}));
    let failed = api.send_ok(PHONE, "will fail", &[]);
    api.faults(json!({"phone_failure_rate": 0.0}));

    let refused = api.api_get("/resend/", &[("guid", &ok)]);
    assert_eq!(refused.status, 200);
    assert_eq!(refused.body["result"]["error"], "not_in_error");
    let unknown = api.api_get("/resend/", &[("guid", &"0".repeat(40))]);
    assert_eq!(unknown.body["result"]["error"], "not_found");

    let resent = api.post_form("/resend/", &[("apikey", KEY), ("guid", &failed)]);
    assert_eq!(resent.status, 200);
    assert_eq!(resent.body["result"]["error"], 0);
    let row = &api.log(&[("guid_message", &failed)])[0];
    assert_eq!(row["send_from_mobile"], "1");
    assert_eq!(row["send_from_mobile_erreur"], "");
    assert!(api.log(&[("error_mobile", "1")]).is_empty());
}

#[test]
fn whatsapp_numbers_with_a_plus_fail_on_the_phone_as_documented() {
    let api = start();
    let guid = api.send_ok(PHONE, "WhatsApp hello", &[("waonly", "yes")]);
    let row = &api.log(&[("guid_message", &guid)])[0];
    assert_eq!(row["sendwa"], "1");
    assert_eq!(row["sendsms"], "0");
    assert!(
        row["send_from_mobile_erreur"]
            .as_str()
            .unwrap()
            .contains("without +")
    );
    let guid = api.send_ok("32470123489", "WhatsApp hello", &[("waonly", "yes")]);
    assert_eq!(
        api.log(&[("guid_message", &guid)])[0]["send_from_mobile"],
        "1"
    );
}

#[test]
fn received_sms_are_listed_filtered_marked_read_and_deleted() {
    let api = start();
    let inject = |number: &str, message: &str, sid: Option<&str>| {
        let mut body = json!({"number": number, "message": message});
        if let Some(sid) = sid {
            body["sIdentifiantPhone"] = json!(sid);
        }
        let a = api.post_json("/_sandbox/received", body);
        assert_eq!(a.status, 200, "{}", a.body);
        a.body["received"].clone()
    };
    let stop = inject(PHONE, "STOP", None);
    inject("+33612345678", "Where is my parcel?", Some("other-phone"));

    let a = api.api_get("/getsms/", &[]);
    assert_eq!(a.status, 200);
    let rows = a.body["result"]["sms"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let r = &rows[0];
    for field in [
        "id",
        "sIdentifiantPhone",
        "timestamp_unix",
        "message",
        "number",
        "guid",
        "alias",
    ] {
        assert!(r[field].is_string(), "{field} in {r}");
    }
    assert_eq!(r["message"], "STOP");
    assert_eq!(r["sIdentifiantPhone"], "sandbox-phone-1");
    let ts: i64 = r["timestamp_unix"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        r["time_received"].as_i64().unwrap() / 1000,
        ts,
        "time_received in epoch ms"
    );

    let only_other = api.api_get("/getsms/", &[("sIdentifiantPhone", "other-phone")]);
    assert_eq!(
        only_other.body["result"]["sms"].as_array().unwrap().len(),
        1
    );
    // The two may straddle a second boundary: filter after the later one.
    let last: i64 = rows[1]["timestamp_unix"].as_str().unwrap().parse().unwrap();
    let later = api.api_get("/getsms/", &[("after_timestamp_unix", &last.to_string())]);
    assert!(later.body["result"]["sms"].as_array().unwrap().is_empty());
    let earlier = api.api_get(
        "/getsms/",
        &[("after_timestamp_unix", &(ts - 1).to_string())],
    );
    assert_eq!(earlier.body["result"]["sms"].as_array().unwrap().len(), 2);

    let guid = stop["guid"].as_str().unwrap();
    let read = api.api_get("/getsms/set-read/", &[("guid_message", guid)]);
    assert_eq!(read.body["result"]["error"], 0);
    let unread = api.api_get("/getsms/", &[("onlyunread", "yes")]);
    let unread = unread.body["result"]["sms"].as_array().unwrap();
    assert_eq!(unread.len(), 1);
    assert_eq!(unread[0]["message"], "Where is my parcel?");

    let del = api.api_get("/deletesms/", &[("guid_message", guid)]);
    assert_eq!(del.body["result"]["deleted"], "1");
    let today = &r["timestamp_unix"]
        .as_str()
        .unwrap()
        .parse::<i64>()
        .map(day)
        .unwrap();
    let none = api.api_get("/deletesms/", &[("date_start", "2001-01-01")]);
    assert_eq!(none.body["result"]["deleted"], "0");
    let range = api.api_get(
        "/deletesms/",
        &[("date_start", "2001-01-01"), ("date_end", today)],
    );
    assert_eq!(range.body["result"]["deleted"], "1");
    assert!(
        api.api_get("/getsms/", &[]).body["result"]["sms"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    inject(PHONE, "again", None);
    let one_day = api.api_get("/deletesms/", &[("date_start", today)]);
    assert_eq!(one_day.body["result"]["deleted"], "1");
    let bad = api.api_get("/deletesms/", &[("date_start", "yesterday")]);
    assert_eq!(
        (bad.status, bad.body["parameter"].as_str()),
        (400, Some("date_start"))
    );
    assert_eq!(api.api_get("/deletesms/", &[]).status, 400);
}

/// `YYYY-MM-DD` of a UNIX second (civil-from-days, so the test does not share the
/// implementation's date code).
fn day(unix: i64) -> String {
    let z = unix.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[test]
fn devices_are_listed_renamed_and_deleted_with_their_history() {
    let api = start();
    let list = api.api_get("/gateway/mobile/list/", &[]);
    assert_eq!(list.status, 200);
    assert_eq!(list.body["success"], true);
    assert_eq!(list.body["connected_now"], 1);
    for key in ["connected_available", "connected_limit", "filters", "note"] {
        assert!(!list.body[key].is_null(), "{key}");
    }
    let item = &list.body["items"][0];
    assert_eq!(item["sid"], "sandbox-phone-1");
    assert!(item["battery"].is_string() && item["version"].is_string() && item["date"].is_string());

    let found = api.api_get("/gateway/mobile/list/", &[("search", "sandbox phone")]);
    assert_eq!(found.body["items"].as_array().unwrap().len(), 1);
    let none = api.api_get("/gateway/mobile/list/", &[("sid", "nope")]);
    assert!(none.body["items"].as_array().unwrap().is_empty());

    let renamed = api.api_get(
        "/gateway/mobile/update/",
        &[("sid", "sandbox-phone-1"), ("label", "Shop counter")],
    );
    assert_eq!(renamed.body["success"], true);
    let list = api.api_get("/gateway/mobile/list/", &[]);
    assert_eq!(list.body["items"][0]["label"], "Shop counter");
    let cleared = api.api_get(
        "/gateway/mobile/update/",
        &[("sid", "sandbox-phone-1"), ("label", "")],
    );
    assert_eq!(cleared.body["success"], true, "label may be empty");
    let missing = api.api_get("/gateway/mobile/update/", &[("sid", "sandbox-phone-1")]);
    assert_eq!(
        (missing.status, missing.body["parameter"].as_str()),
        (400, Some("label"))
    );

    api.send_ok(PHONE, "before delete", &[]);
    let deleted = api.api_get("/gateway/mobile/delete/", &[("sid", "sandbox-phone-1")]);
    assert_eq!(deleted.body["success"], true);
    assert_eq!(deleted.body["deleted_rows"], 1);
    assert!(api.log(&[]).is_empty(), "history rows go with the phone");
    assert_eq!(
        api.api_get("/gateway/mobile/list/", &[]).body["connected_now"],
        0
    );
    let offline = api.send(PHONE, "no phone", &[]);
    assert_eq!(
        (offline.status, offline.body["result"]["error"].as_i64()),
        (200, Some(2))
    );
    let unknown = api.send(PHONE, "hi", &[("sIdentifiant", "ghost")]);
    assert_eq!(unknown.body["result"]["error"], "device_not_found");
}

#[test]
fn unknown_paths_are_404_json() {
    let api = start();
    let a = api.get("/nope/", &[]);
    assert_eq!(a.status, 404);
    assert_eq!(a.body["error"], "not_found");
}
