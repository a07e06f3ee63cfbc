//! Send times: delays and quiet hours in the shop's time zone, across DST changes.

use jiff::Timestamp;
use ordersms_core::schedule::{QuietHours, Schedule, TimeOfDay};

fn unix(rfc3339: &str) -> i64 {
    rfc3339.parse::<Timestamp>().unwrap().as_second()
}

fn quiet(start: &str, end: &str) -> Option<QuietHours> {
    Some(
        QuietHours::new(
            TimeOfDay::parse(start).unwrap(),
            TimeOfDay::parse(end).unwrap(),
        )
        .unwrap(),
    )
}

fn paris_nights() -> Schedule {
    Schedule::new("Europe/Paris", quiet("21:00", "08:00")).unwrap()
}

#[test]
fn outside_quiet_hours_and_without_delay_a_message_goes_now() {
    assert_eq!(
        paris_nights().send_at(unix("2026-01-20T10:00:00+01:00"), 0),
        None
    );
    assert_eq!(
        Schedule::default().send_at(unix("2026-01-20T23:00:00Z"), 0),
        None
    );
}

#[test]
fn a_delay_outside_quiet_hours_is_just_added() {
    let now = unix("2026-01-20T10:00:00+01:00");
    assert_eq!(paris_nights().send_at(now, 30), Some(now + 30 * 60));
}

#[test]
fn at_night_a_message_waits_for_the_morning_in_the_shops_zone() {
    let s = paris_nights();
    assert_eq!(
        s.send_at(unix("2026-01-20T22:30:00+01:00"), 0),
        Some(unix("2026-01-21T08:00:00+01:00"))
    );
    assert_eq!(
        s.send_at(unix("2026-01-21T03:00:00+01:00"), 0),
        Some(unix("2026-01-21T08:00:00+01:00"))
    );
    // Start is inclusive, end exclusive.
    assert_eq!(
        s.send_at(unix("2026-01-20T21:00:00+01:00"), 0),
        Some(unix("2026-01-21T08:00:00+01:00"))
    );
    assert_eq!(s.send_at(unix("2026-01-21T08:00:00+01:00"), 0), None);
    assert_eq!(s.send_at(unix("2026-01-20T20:59:59+01:00"), 0), None);
}

#[test]
fn a_delay_that_lands_in_quiet_hours_is_pushed_to_their_end() {
    let s = paris_nights();
    assert_eq!(
        s.send_at(unix("2026-01-20T20:45:00+01:00"), 30),
        Some(unix("2026-01-21T08:00:00+01:00"))
    );
    assert_eq!(
        s.send_at(unix("2026-01-20T20:15:00+01:00"), 30),
        Some(unix("2026-01-20T20:45:00+01:00"))
    );
}

#[test]
fn paris_spring_forward_night_is_one_hour_shorter() {
    // 2026-03-29: 02:00 CET jumps to 03:00 CEST. 22:00 CET the evening before waits until
    // 08:00 CEST, which is 9 real hours later, not 10.
    let s = paris_nights();
    let evening = unix("2026-03-28T22:00:00+01:00");
    let morning = unix("2026-03-29T08:00:00+02:00");
    assert_eq!(s.send_at(evening, 0), Some(morning));
    assert_eq!(morning - evening, 9 * 3600);
}

#[test]
fn paris_fall_back_night_is_one_hour_longer() {
    // 2026-10-25: 03:00 CEST falls back to 02:00 CET.
    let s = paris_nights();
    let evening = unix("2026-10-24T22:00:00+02:00");
    let morning = unix("2026-10-25T08:00:00+01:00");
    assert_eq!(s.send_at(evening, 0), Some(morning));
    assert_eq!(morning - evening, 11 * 3600);
    // In the repeated hour (02:30 happens twice) it is still night.
    assert_eq!(
        s.send_at(unix("2026-10-25T02:30:00+01:00"), 0),
        Some(morning)
    );
    assert_eq!(
        s.send_at(unix("2026-10-25T02:30:00+02:00"), 0),
        Some(morning)
    );
}

#[test]
fn new_york_across_both_dst_changes() {
    let s = Schedule::new("America/New_York", quiet("21:00", "08:00")).unwrap();
    // 2026-03-08 02:00 EST -> 03:00 EDT.
    assert_eq!(
        s.send_at(unix("2026-03-07T23:00:00-05:00"), 0),
        Some(unix("2026-03-08T08:00:00-04:00"))
    );
    // 2026-11-01 02:00 EDT -> 01:00 EST.
    assert_eq!(
        s.send_at(unix("2026-10-31T23:00:00-04:00"), 0),
        Some(unix("2026-11-01T08:00:00-05:00"))
    );
    // A 2-hour delay from 19:30 EDT lands at 21:30: held until the next morning.
    assert_eq!(
        s.send_at(unix("2026-10-31T19:30:00-04:00"), 120),
        Some(unix("2026-11-01T08:00:00-05:00"))
    );
}

#[test]
fn a_quiet_hours_end_inside_the_dst_gap_moves_forward() {
    // Quiet 23:00–02:30; on 2026-03-29 in Paris 02:30 does not exist: 03:30 CEST is used.
    let s = Schedule::new("Europe/Paris", quiet("23:00", "02:30")).unwrap();
    assert_eq!(
        s.send_at(unix("2026-03-29T01:00:00+01:00"), 0),
        Some(unix("2026-03-29T03:30:00+02:00"))
    );
}

#[test]
fn a_quiet_hours_end_inside_the_dst_fold_is_not_skipped_on_the_second_pass() {
    // Quiet 00:00–01:30 in New York; on 2026-11-01 01:00–02:00 happens twice (EDT, then EST).
    let s = Schedule::new("America/New_York", quiet("00:00", "01:30")).unwrap();
    // First pass (EDT): held until the first 01:30.
    assert_eq!(
        s.send_at(unix("2026-11-01T01:10:00-04:00"), 0),
        Some(unix("2026-11-01T01:30:00-04:00"))
    );
    // Second pass (EST), 01:10 on the shop's clock: still quiet hours, held until 01:30 EST,
    // not sent at once because the first 01:30 has gone by.
    assert_eq!(
        s.send_at(unix("2026-11-01T01:10:00-05:00"), 0),
        Some(unix("2026-11-01T01:30:00-05:00"))
    );
    assert_eq!(s.send_at(unix("2026-11-01T01:30:00-05:00"), 0), None);
}

#[test]
fn a_same_day_window_like_lunch() {
    let s = Schedule::new("Europe/Paris", quiet("12:00", "14:00")).unwrap();
    assert_eq!(
        s.send_at(unix("2026-06-10T12:30:00+02:00"), 0),
        Some(unix("2026-06-10T14:00:00+02:00"))
    );
    assert_eq!(
        s.send_at(unix("2026-06-10T11:50:00+02:00"), 15),
        Some(unix("2026-06-10T14:00:00+02:00"))
    );
    assert_eq!(s.send_at(unix("2026-06-10T14:00:00+02:00"), 0), None);
    assert_eq!(s.send_at(unix("2026-06-10T23:30:00+02:00"), 0), None);
}

#[test]
fn time_zone_names_are_canonical_and_checked() {
    assert_eq!(
        Schedule::new("europe/paris", None).unwrap().time_zone(),
        "Europe/Paris"
    );
    assert!(Schedule::new("Europe/Pariss", None).is_err());
    assert!(Schedule::new("", None).is_err());
}

#[test]
fn extreme_instants_do_not_panic() {
    let s = paris_nights();
    let _ = s.send_at(i64::MAX, u32::MAX);
    let _ = s.send_at(i64::MIN, 0);
}
