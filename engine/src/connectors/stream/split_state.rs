//! Encoding a split's state for checkpoints: a version byte, then postcard.
//!
//! ```text
//!   [ 1 ][ postcard(state struct of the source) ]
//! ```
//!
//! Each source defines its own serde state struct (file path + offsets, next index, …); a
//! state that does not decode is [`WeirError::CorruptSnapshot`] naming the source.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::WeirError;

const SPLIT_STATE_VERSION: u8 = 1;

/// The bytes of `state`.
pub fn encode_split_state<S: Serialize>(state: &S) -> Vec<u8> {
    let mut bytes = vec![SPLIT_STATE_VERSION];
    // Split states are plain structs of integers, strings and paths: postcard cannot fail on
    // them except for a path that is not UTF-8, which the source turned into a string first.
    let body = postcard::to_stdvec(state).expect("split states always encode");
    bytes.extend_from_slice(&body);
    bytes
}

/// The state `bytes` hold; `source` names the source in errors.
pub fn decode_split_state<S: DeserializeOwned>(bytes: &[u8], source: &str) -> Result<S, WeirError> {
    let corrupt = |problem: String| WeirError::CorruptSnapshot {
        what: format!("a split state of {source}"),
        problem,
    };
    match bytes.split_first() {
        Some((&SPLIT_STATE_VERSION, body)) => {
            postcard::from_bytes(body).map_err(|error| corrupt(error.to_string()))
        }
        Some((version, _)) => Err(corrupt(format!(
            "format version {version}, this build reads version {SPLIT_STATE_VERSION}"
        ))),
        None => Err(corrupt("it is empty".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct State {
        path: String,
        offset: u64,
    }

    #[test]
    fn round_trip_and_corruption() {
        let state = State {
            path: "a/b".into(),
            offset: 42,
        };
        let bytes = encode_split_state(&state);
        assert_eq!(decode_split_state::<State>(&bytes, "S").unwrap(), state);
        let error = decode_split_state::<State>(&bytes[..2], "CsvSource(x)").unwrap_err();
        assert!(error.to_string().contains("CsvSource(x)"), "{error}");
        assert!(decode_split_state::<State>(&[], "S").is_err());
        assert!(decode_split_state::<State>(&[7, 0], "S").is_err());
    }
}
