//! YARN's application, attempt and container ids: typed values with Hadoop's string forms
//! (what logs, the REST API and the `CONTAINER_ID` environment variable carry) and conversions
//! to and from their protobuf records.
//!
//! ```text
//! application_1700000000000_0007
//!             └─ cluster ts ─┘ └ id, ≥ 4 digits
//! appattempt_1700000000000_0007_000001
//!                                └ attempt, ≥ 6 digits
//! container_e17_1700000000000_0007_01_000005
//!           └ epoch, ≥ 2 digits, only when > 0
//!                                   └ attempt, ≥ 2 digits
//!                                      └ sequence, ≥ 6 digits
//! ```
//!
//! The padding widths are minimums: longer numbers are printed in full
//! (`application_1_12345`). A container id's `id` packs two numbers, as in Hadoop:
//!
//! ```text
//!  63            40 39                              0
//! ┌────────────────┬─────────────────────────────────┐
//! │   RM epoch     │  sequence within the attempt    │
//! └────────────────┴─────────────────────────────────┘
//! ```
//!
//! The epoch counts RM restarts with work-preserving recovery; the `e..` part of the string
//! appears only when it is above zero. Parsing is strict: every part must be a decimal number
//! without sign, and the sequence must fit its 40 bits; anything else is
//! [`YarnError::InvalidId`] with the reason.

use std::fmt;
use std::str::FromStr;

use crate::error::YarnError;
use crate::proto::yarn_records::{ApplicationAttemptIdProto, ApplicationIdProto, ContainerIdProto};

/// Bits of [`ContainerId::id`] that hold the sequence number; the epoch is above them.
pub const CONTAINER_SEQUENCE_BITS: u32 = 40;
const CONTAINER_SEQUENCE_MASK: i64 = (1 << CONTAINER_SEQUENCE_BITS) - 1;
/// The largest epoch that still fits an `i64` id when shifted by 40 bits.
const MAX_EPOCH: i64 = (1 << (63 - CONTAINER_SEQUENCE_BITS)) - 1;

/// An application: the RM's start time and a counter within that RM run.
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct ApplicationId {
    /// Start time of the RM that issued the id, ms since the epoch.
    pub cluster_timestamp: i64,
    pub id: i32,
}

/// One attempt (AM run) of an application; attempts count from 1.
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct ApplicationAttemptId {
    pub application_id: ApplicationId,
    pub attempt_id: i32,
}

/// A container of an application attempt.
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct ContainerId {
    pub attempt_id: ApplicationAttemptId,
    /// Sequence number in the low 40 bits, RM epoch in bits 40 and up.
    pub id: i64,
}

impl ApplicationId {
    pub fn new(cluster_timestamp: i64, id: i32) -> Self {
        ApplicationId {
            cluster_timestamp,
            id,
        }
    }

    pub fn to_proto(&self) -> ApplicationIdProto {
        ApplicationIdProto {
            id: Some(self.id),
            cluster_timestamp: Some(self.cluster_timestamp),
        }
    }

    /// Both fields must be present (every Hadoop release sets them).
    pub fn from_proto(proto: &ApplicationIdProto) -> Result<Self, YarnError> {
        let invalid = |reason| invalid_proto("application", proto, reason);
        Ok(ApplicationId {
            cluster_timestamp: proto
                .cluster_timestamp
                .ok_or_else(|| invalid("cluster_timestamp is missing"))?,
            id: proto.id.ok_or_else(|| invalid("id is missing"))?,
        })
    }
}

impl ApplicationAttemptId {
    pub fn new(application_id: ApplicationId, attempt_id: i32) -> Self {
        ApplicationAttemptId {
            application_id,
            attempt_id,
        }
    }

    pub fn to_proto(&self) -> ApplicationAttemptIdProto {
        ApplicationAttemptIdProto {
            application_id: Some(self.application_id.to_proto()),
            attempt_id: Some(self.attempt_id),
        }
    }

    pub fn from_proto(proto: &ApplicationAttemptIdProto) -> Result<Self, YarnError> {
        let invalid = |reason| invalid_proto("application attempt", proto, reason);
        let application_id = proto
            .application_id
            .as_ref()
            .ok_or_else(|| invalid("application_id is missing"))?;
        Ok(ApplicationAttemptId {
            application_id: ApplicationId::from_proto(application_id)?,
            attempt_id: proto
                .attempt_id
                .ok_or_else(|| invalid("attemptId is missing"))?,
        })
    }
}

impl ContainerId {
    /// A container id from its parts; `None` when the epoch or the sequence is negative or
    /// does not fit its bits.
    pub fn from_parts(attempt_id: ApplicationAttemptId, epoch: i64, sequence: i64) -> Option<Self> {
        if !(0..=MAX_EPOCH).contains(&epoch) || !(0..=CONTAINER_SEQUENCE_MASK).contains(&sequence) {
            return None;
        }
        Some(ContainerId {
            attempt_id,
            id: (epoch << CONTAINER_SEQUENCE_BITS) | sequence,
        })
    }

    pub fn application_id(&self) -> ApplicationId {
        self.attempt_id.application_id
    }

    /// The RM epoch (number of recovering RM restarts before the allocation).
    pub fn epoch(&self) -> i64 {
        self.id >> CONTAINER_SEQUENCE_BITS
    }

    /// The sequence number within the attempt (1 = the AM container).
    pub fn sequence(&self) -> i64 {
        self.id & CONTAINER_SEQUENCE_MASK
    }

    /// The legacy `app_id` field is left unset, as Java does.
    pub fn to_proto(&self) -> ContainerIdProto {
        ContainerIdProto {
            app_id: None,
            app_attempt_id: Some(self.attempt_id.to_proto()),
            id: Some(self.id),
        }
    }

    pub fn from_proto(proto: &ContainerIdProto) -> Result<Self, YarnError> {
        let invalid = |reason| invalid_proto("container", proto, reason);
        let attempt = proto
            .app_attempt_id
            .as_ref()
            .ok_or_else(|| invalid("app_attempt_id is missing"))?;
        Ok(ContainerId {
            attempt_id: ApplicationAttemptId::from_proto(attempt)?,
            id: proto.id.ok_or_else(|| invalid("id is missing"))?,
        })
    }
}

fn invalid_proto(kind: &'static str, proto: &impl fmt::Debug, reason: &'static str) -> YarnError {
    YarnError::InvalidId {
        kind,
        text: format!("{proto:?}"),
        reason,
    }
}

// ---- string forms ----

/// Writes `value` with at least `min_digits` digits, like Java's `NumberFormat` with a minimum
/// integer digit count: the sign goes in front of the zero padding (`-0005`).
fn write_padded(f: &mut fmt::Formatter<'_>, value: i64, min_digits: usize) -> fmt::Result {
    if value < 0 {
        write!(f, "-{:0min_digits$}", value.unsigned_abs())
    } else {
        write!(f, "{value:0min_digits$}")
    }
}

impl fmt::Display for ApplicationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "application_{}_", self.cluster_timestamp)?;
        write_padded(f, i64::from(self.id), 4)
    }
}

impl fmt::Display for ApplicationAttemptId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "appattempt_{}_", self.application_id.cluster_timestamp)?;
        write_padded(f, i64::from(self.application_id.id), 4)?;
        f.write_str("_")?;
        write_padded(f, i64::from(self.attempt_id), 6)
    }
}

impl fmt::Display for ContainerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("container_")?;
        let epoch = self.epoch();
        if epoch > 0 {
            f.write_str("e")?;
            write_padded(f, epoch, 2)?;
            f.write_str("_")?;
        }
        let application = self.attempt_id.application_id;
        write!(f, "{}_", application.cluster_timestamp)?;
        write_padded(f, i64::from(application.id), 4)?;
        f.write_str("_")?;
        write_padded(f, i64::from(self.attempt_id.attempt_id), 2)?;
        f.write_str("_")?;
        write_padded(f, self.sequence(), 6)
    }
}

/// Splits `text` into its `_`-separated parts after checking the prefix.
fn parts<'a>(
    kind: &'static str,
    text: &'a str,
    prefix: &str,
    wrong_prefix: &'static str,
) -> Result<std::str::Split<'a, char>, YarnError> {
    let mut parts = text.split('_');
    if parts.next() != Some(prefix) {
        return Err(invalid_text(kind, text, wrong_prefix));
    }
    Ok(parts)
}

fn invalid_text(kind: &'static str, text: &str, reason: &'static str) -> YarnError {
    YarnError::InvalidId {
        kind,
        text: text.to_string(),
        reason,
    }
}

/// Parses one unsigned decimal part (no sign, no spaces, at least one digit).
fn number<T: FromStr>(
    kind: &'static str,
    text: &str,
    part: Option<&str>,
    what: &'static str,
) -> Result<T, YarnError> {
    let part = part.ok_or_else(|| invalid_text(kind, text, what))?;
    if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid_text(kind, text, what));
    }
    part.parse().map_err(|_| invalid_text(kind, text, what))
}

fn end(
    kind: &'static str,
    text: &str,
    mut rest: std::str::Split<'_, char>,
) -> Result<(), YarnError> {
    match rest.next() {
        None => Ok(()),
        Some(_) => Err(invalid_text(kind, text, "has extra '_'-separated parts")),
    }
}

const TIMESTAMP: &str = "cluster timestamp is not a non-negative decimal i64";
const APP_NUMBER: &str = "application number is not a non-negative decimal i32";
const ATTEMPT_NUMBER: &str = "attempt number is not a non-negative decimal i32";

impl FromStr for ApplicationId {
    type Err = YarnError;

    fn from_str(text: &str) -> Result<Self, YarnError> {
        const KIND: &str = "application";
        let mut parts = parts(KIND, text, "application", "must start with 'application_'")?;
        let cluster_timestamp = number(KIND, text, parts.next(), TIMESTAMP)?;
        let id = number(KIND, text, parts.next(), APP_NUMBER)?;
        end(KIND, text, parts)?;
        Ok(ApplicationId {
            cluster_timestamp,
            id,
        })
    }
}

impl FromStr for ApplicationAttemptId {
    type Err = YarnError;

    fn from_str(text: &str) -> Result<Self, YarnError> {
        const KIND: &str = "application attempt";
        let mut parts = parts(KIND, text, "appattempt", "must start with 'appattempt_'")?;
        let cluster_timestamp = number(KIND, text, parts.next(), TIMESTAMP)?;
        let id = number(KIND, text, parts.next(), APP_NUMBER)?;
        let attempt_id = number(KIND, text, parts.next(), ATTEMPT_NUMBER)?;
        end(KIND, text, parts)?;
        Ok(ApplicationAttemptId {
            application_id: ApplicationId {
                cluster_timestamp,
                id,
            },
            attempt_id,
        })
    }
}

impl FromStr for ContainerId {
    type Err = YarnError;

    fn from_str(text: &str) -> Result<Self, YarnError> {
        const KIND: &str = "container";
        let mut parts = parts(KIND, text, "container", "must start with 'container_'")?;
        let first = parts.next();
        let (epoch, timestamp_part) = match first.and_then(|part| part.strip_prefix('e')) {
            Some(epoch) => {
                let epoch: i64 = number(
                    KIND,
                    text,
                    Some(epoch),
                    "epoch after 'e' is not a non-negative decimal number",
                )?;
                (epoch, parts.next())
            }
            None => (0, first),
        };
        let cluster_timestamp = number(KIND, text, timestamp_part, TIMESTAMP)?;
        let id = number(KIND, text, parts.next(), APP_NUMBER)?;
        let attempt = number(KIND, text, parts.next(), ATTEMPT_NUMBER)?;
        let sequence: i64 = number(
            KIND,
            text,
            parts.next(),
            "container sequence is not a non-negative decimal number",
        )?;
        end(KIND, text, parts)?;
        let attempt_id = ApplicationAttemptId {
            application_id: ApplicationId {
                cluster_timestamp,
                id,
            },
            attempt_id: attempt,
        };
        if sequence > CONTAINER_SEQUENCE_MASK {
            return Err(invalid_text(
                KIND,
                text,
                "container sequence does not fit in 40 bits",
            ));
        }
        ContainerId::from_parts(attempt_id, epoch, sequence)
            .ok_or_else(|| invalid_text(KIND, text, "epoch does not fit in 23 bits"))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn app(ts: i64, id: i32) -> ApplicationId {
        ApplicationId::new(ts, id)
    }

    #[test]
    fn string_forms_match_hadoop() {
        let application = app(1_700_000_000_000, 7);
        assert_eq!(application.to_string(), "application_1700000000000_0007");
        let attempt = ApplicationAttemptId::new(application, 1);
        assert_eq!(attempt.to_string(), "appattempt_1700000000000_0007_000001");
        let container = ContainerId::from_parts(attempt, 0, 5).unwrap();
        assert_eq!(
            container.to_string(),
            "container_1700000000000_0007_01_000005"
        );
        let recovered = ContainerId::from_parts(attempt, 17, 5).unwrap();
        assert_eq!(recovered.id, (17 << 40) | 5);
        assert_eq!(
            recovered.to_string(),
            "container_e17_1700000000000_0007_01_000005"
        );
        let small_epoch = ContainerId::from_parts(attempt, 3, 1).unwrap();
        assert_eq!(
            small_epoch.to_string(),
            "container_e03_1700000000000_0007_01_000001"
        );
    }

    #[test]
    fn padding_is_a_minimum() {
        let application = app(1, 123_456);
        assert_eq!(application.to_string(), "application_1_123456");
        let attempt = ApplicationAttemptId::new(application, 1_234_567);
        assert_eq!(attempt.to_string(), "appattempt_1_123456_1234567");
        let container = ContainerId::from_parts(attempt, 123, 12_345_678).unwrap();
        assert_eq!(
            container.to_string(),
            "container_e123_1_123456_1234567_12345678"
        );
    }

    #[test]
    fn negative_numbers_print_like_java() {
        assert_eq!(app(5, -3).to_string(), "application_5_-0003");
    }

    #[test]
    fn parses_hadoop_strings() {
        let container: ContainerId = "container_e17_1410901177871_0001_01_000005"
            .parse()
            .unwrap();
        assert_eq!(container.epoch(), 17);
        assert_eq!(container.sequence(), 5);
        assert_eq!(container.attempt_id.attempt_id, 1);
        assert_eq!(container.application_id(), app(1_410_901_177_871, 1));
        let plain: ContainerId = "container_1410901177871_0001_01_000005".parse().unwrap();
        assert_eq!(plain.epoch(), 0);
        assert_eq!(plain.id, 5);
        // Unpadded numbers are accepted, as Java's parser accepts them.
        let short: ApplicationId = "application_12_3".parse().unwrap();
        assert_eq!(short, app(12, 3));
    }

    fn reason_of(result: Result<impl fmt::Debug, YarnError>) -> (&'static str, &'static str) {
        match result {
            Err(YarnError::InvalidId { kind, reason, .. }) => (kind, reason),
            other => panic!("expected InvalidId, got {other:?}"),
        }
    }

    #[test]
    fn malformed_strings_name_the_reason() {
        let cases: Vec<(Result<ApplicationId, _>, &str)> = vec![
            ("app_1_1".parse(), "must start with 'application_'"),
            ("application_1".parse(), APP_NUMBER),
            ("application__1".parse(), TIMESTAMP),
            ("application_x_1".parse(), TIMESTAMP),
            ("application_1_-1".parse(), APP_NUMBER),
            ("application_1_+1".parse(), APP_NUMBER),
            ("application_1_ 1".parse(), APP_NUMBER),
            ("application_1_99999999999".parse(), APP_NUMBER),
            ("application_1_1_1".parse(), "has extra '_'-separated parts"),
            ("".parse(), "must start with 'application_'"),
        ];
        for (result, expected) in cases {
            assert_eq!(reason_of(result), ("application", expected));
        }
        assert_eq!(
            reason_of("appattempt_1_0001".parse::<ApplicationAttemptId>()),
            ("application attempt", ATTEMPT_NUMBER)
        );
        assert_eq!(
            reason_of("container_1_0001_01".parse::<ContainerId>()),
            (
                "container",
                "container sequence is not a non-negative decimal number"
            )
        );
        assert_eq!(
            reason_of("container_e_1_0001_01_000001".parse::<ContainerId>()),
            (
                "container",
                "epoch after 'e' is not a non-negative decimal number"
            )
        );
        assert_eq!(
            reason_of("container_1_0001_01_1099511627776".parse::<ContainerId>()),
            ("container", "container sequence does not fit in 40 bits")
        );
        assert_eq!(
            reason_of("container_e8388608_1_0001_01_000001".parse::<ContainerId>()),
            ("container", "epoch does not fit in 23 bits")
        );
        let message = "appattempt_1"
            .parse::<ContainerId>()
            .unwrap_err()
            .to_string();
        assert!(message.contains("appattempt_1"), "{message}");
        assert!(
            message.contains("must start with 'container_'"),
            "{message}"
        );
    }

    #[test]
    fn proto_conversions() {
        let container: ContainerId = "container_e02_1700000000000_0007_01_000003"
            .parse()
            .unwrap();
        let proto = container.to_proto();
        assert_eq!(proto.app_id, None);
        assert_eq!(proto.id, Some((2 << 40) | 3));
        assert_eq!(ContainerId::from_proto(&proto).unwrap(), container);

        let missing_attempt = ContainerIdProto {
            id: Some(1),
            ..Default::default()
        };
        assert_eq!(
            reason_of(ContainerId::from_proto(&missing_attempt)),
            ("container", "app_attempt_id is missing")
        );
        let missing_timestamp = ApplicationAttemptIdProto {
            application_id: Some(ApplicationIdProto {
                id: Some(1),
                cluster_timestamp: None,
            }),
            attempt_id: Some(1),
        };
        assert_eq!(
            reason_of(ApplicationAttemptId::from_proto(&missing_timestamp)),
            ("application", "cluster_timestamp is missing")
        );
    }

    #[test]
    fn ordering_follows_timestamp_then_number() {
        let mut ids = vec![app(2, 1), app(1, 5), app(1, 2)];
        ids.sort();
        assert_eq!(ids, vec![app(1, 2), app(1, 5), app(2, 1)]);
    }

    fn any_attempt() -> impl Strategy<Value = ApplicationAttemptId> {
        (0..=i64::MAX, 0..=i32::MAX, 0..=i32::MAX)
            .prop_map(|(ts, id, attempt)| ApplicationAttemptId::new(app(ts, id), attempt))
    }

    proptest! {
        #[test]
        fn application_ids_round_trip(ts in 0..=i64::MAX, id in 0..=i32::MAX) {
            let application = app(ts, id);
            let text = application.to_string();
            prop_assert_eq!(text.parse::<ApplicationId>().unwrap(), application);
            prop_assert_eq!(ApplicationId::from_proto(&application.to_proto()).unwrap(), application);
        }

        #[test]
        fn attempt_ids_round_trip(attempt in any_attempt()) {
            prop_assert_eq!(attempt.to_string().parse::<ApplicationAttemptId>().unwrap(), attempt);
            prop_assert_eq!(ApplicationAttemptId::from_proto(&attempt.to_proto()).unwrap(), attempt);
        }

        #[test]
        fn container_ids_round_trip(
            attempt in any_attempt(),
            epoch in 0..=MAX_EPOCH,
            sequence in 0..=CONTAINER_SEQUENCE_MASK,
        ) {
            let container = ContainerId::from_parts(attempt, epoch, sequence).unwrap();
            prop_assert_eq!(container.epoch(), epoch);
            prop_assert_eq!(container.sequence(), sequence);
            let text = container.to_string();
            prop_assert_eq!(text.contains("_e"), epoch > 0);
            prop_assert_eq!(text.parse::<ContainerId>().unwrap(), container);
            prop_assert_eq!(ContainerId::from_proto(&container.to_proto()).unwrap(), container);
        }

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,40}") {
            let _ = text.parse::<ApplicationId>();
            let _ = text.parse::<ApplicationAttemptId>();
            let _ = text.parse::<ContainerId>();
        }
    }
}
