//! [`RestartStrategy`]: whether, and after how long, a failed streaming job restarts from its
//! latest completed checkpoint (Flink's `restart-strategy.type`).
//!
//! | strategy | decision on a failure |
//! |---|---|
//! | `none` | fail |
//! | `fixed-delay` | restart after `delay`, at most `attempts` times; then fail |
//! | `exponential-delay` | restart after a backoff that grows by `backoff-multiplier` per failure up to `max-backoff`, spread by ± `jitter-factor`; after `reset-backoff-threshold` of running without a failure the backoff (and the attempt count) start over; fail after `attempts-before-reset-backoff` restarts without a reset |
//!
//! Default (Flink 1.20): `exponential-delay` when checkpointing is on, `none` when it is off.
//!
//! The exponential backoff, with `b₀ = initial-backoff` and `m = backoff-multiplier`:
//!
//! ```text
//!  failure n (since the last reset):   backoffₙ = min(b₀ · mⁿ, max-backoff)      n = 0, 1, …
//!                                       delay    = min(backoffₙ · (1 + u·jitter), max-backoff)
//!                                                  u uniform in [-1, 1)
//!  reset when  now - last failure  >=  reset-backoff-threshold + last delay
//!  (the job then ran for reset-backoff-threshold after its restart without failing)
//! ```
//!
//! The strategy is pure arithmetic over the instants it is given, so tests inject them; the
//! jitter's random source can be seeded ([`RestartStrategy::with_jitter_seed`]).

use std::hash::BuildHasher;
use std::time::{Duration, Instant};

use crate::config::options::{
    EXPONENTIAL_DELAY_ATTEMPTS, EXPONENTIAL_DELAY_INITIAL_BACKOFF, EXPONENTIAL_DELAY_JITTER,
    EXPONENTIAL_DELAY_MAX_BACKOFF, EXPONENTIAL_DELAY_MULTIPLIER, EXPONENTIAL_DELAY_RESET_THRESHOLD,
    FIXED_DELAY_ATTEMPTS, FIXED_DELAY_DELAY, RESTART_STRATEGY_TYPE,
};
use crate::config::{Configuration, RestartStrategyType, format_duration};
use crate::error::WeirError;

/// What to do after a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestartDecision {
    /// Restart from the latest completed checkpoint after `delay`.
    Restart { delay: Duration },
    /// Give up: the job fails, for `reason` (names the setting that decided it).
    Fail { reason: String },
}

/// The settings of `exponential-delay`.
#[derive(Debug, Clone, PartialEq)]
pub struct ExponentialDelaySettings {
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// At least 1.
    pub multiplier: f64,
    pub reset_backoff_threshold: Duration,
    /// In `[0, 1]`.
    pub jitter_factor: f64,
    pub attempts_before_reset_backoff: u32,
}

#[derive(Debug, Clone)]
enum Policy {
    None {
        /// Whether restart-strategy.type said so (else: the default without checkpointing).
        explicit: bool,
    },
    FixedDelay {
        attempts: u32,
        delay: Duration,
    },
    ExponentialDelay {
        settings: ExponentialDelaySettings,
        /// The backoff of the last failure before jitter; `None` after a reset.
        backoff: Option<Duration>,
        restarts_since_reset: u32,
        last_failure: Option<Instant>,
        last_delay: Duration,
    },
}

/// See the module docs.
#[derive(Debug, Clone)]
pub struct RestartStrategy {
    policy: Policy,
    restarts: u64,
    /// splitmix64 state for the jitter.
    random_state: u64,
}

impl RestartStrategy {
    /// The strategy `config` selects; see the module docs for the default.
    pub fn from_config(
        config: &Configuration,
        checkpointing_enabled: bool,
    ) -> Result<RestartStrategy, WeirError> {
        let chosen = config.get(&RESTART_STRATEGY_TYPE);
        let kind = chosen.unwrap_or(if checkpointing_enabled {
            RestartStrategyType::ExponentialDelay
        } else {
            RestartStrategyType::None
        });
        Ok(match kind {
            RestartStrategyType::None => RestartStrategy::from_policy(Policy::None {
                explicit: chosen.is_some(),
            }),
            RestartStrategyType::FixedDelay => RestartStrategy::fixed_delay(
                config.get(&FIXED_DELAY_ATTEMPTS),
                config.get(&FIXED_DELAY_DELAY),
            ),
            RestartStrategyType::ExponentialDelay => {
                RestartStrategy::exponential_delay(ExponentialDelaySettings {
                    initial_backoff: config.get(&EXPONENTIAL_DELAY_INITIAL_BACKOFF),
                    max_backoff: config.get(&EXPONENTIAL_DELAY_MAX_BACKOFF),
                    multiplier: config.get(&EXPONENTIAL_DELAY_MULTIPLIER),
                    reset_backoff_threshold: config.get(&EXPONENTIAL_DELAY_RESET_THRESHOLD),
                    jitter_factor: config.get(&EXPONENTIAL_DELAY_JITTER),
                    attempts_before_reset_backoff: config.get(&EXPONENTIAL_DELAY_ATTEMPTS),
                })?
            }
        })
    }

    /// `none`: every failure fails the job.
    pub fn none() -> RestartStrategy {
        RestartStrategy::from_policy(Policy::None { explicit: true })
    }

    /// `fixed-delay`: up to `attempts` restarts, each after `delay`.
    pub fn fixed_delay(attempts: u32, delay: Duration) -> RestartStrategy {
        RestartStrategy::from_policy(Policy::FixedDelay { attempts, delay })
    }

    /// `exponential-delay`. An initial backoff above the maximum, a multiplier below 1 or a
    /// jitter factor outside `[0, 1]` is an error.
    pub fn exponential_delay(
        settings: ExponentialDelaySettings,
    ) -> Result<RestartStrategy, WeirError> {
        if settings.initial_backoff > settings.max_backoff {
            return Err(WeirError::RestartBackoffBounds {
                initial: settings.initial_backoff,
                max: settings.max_backoff,
            });
        }
        // The options' ranges guarantee these; a caller building settings by hand must too.
        assert!(
            settings.multiplier >= 1.0 && settings.multiplier.is_finite(),
            "backoff multiplier {} is not a finite number >= 1",
            settings.multiplier
        );
        assert!(
            (0.0..=1.0).contains(&settings.jitter_factor),
            "jitter factor {} is outside [0, 1]",
            settings.jitter_factor
        );
        Ok(RestartStrategy::from_policy(Policy::ExponentialDelay {
            settings,
            backoff: None,
            restarts_since_reset: 0,
            last_failure: None,
            last_delay: Duration::ZERO,
        }))
    }

    fn from_policy(policy: Policy) -> RestartStrategy {
        let seed = std::collections::hash_map::RandomState::new().hash_one(Instant::now());
        RestartStrategy {
            policy,
            restarts: 0,
            random_state: seed,
        }
    }

    /// Seeds the jitter's random source (for reproducible tests).
    pub fn with_jitter_seed(mut self, seed: u64) -> RestartStrategy {
        self.random_state = seed;
        self
    }

    /// Restarts granted so far.
    pub fn restarts(&self) -> u64 {
        self.restarts
    }

    /// The job failed at `now`: restart (after how long) or fail.
    pub fn on_failure(&mut self, now: Instant) -> RestartDecision {
        let decision = match &mut self.policy {
            Policy::None { explicit } => RestartDecision::Fail {
                reason: if *explicit {
                    format!("{} is none", RESTART_STRATEGY_TYPE.key)
                } else {
                    format!(
                        "checkpointing is off and {} is not set, so a failed job is not \
                         restarted",
                        RESTART_STRATEGY_TYPE.key
                    )
                },
            },
            Policy::FixedDelay { attempts, delay } => {
                if self.restarts < u64::from(*attempts) {
                    RestartDecision::Restart { delay: *delay }
                } else {
                    RestartDecision::Fail {
                        reason: format!(
                            "the job failed again after {} restarts, the most {} allows",
                            self.restarts, FIXED_DELAY_ATTEMPTS.key
                        ),
                    }
                }
            }
            Policy::ExponentialDelay {
                settings,
                backoff,
                restarts_since_reset,
                last_failure,
                last_delay,
            } => {
                if let Some(last) = *last_failure
                    && now.saturating_duration_since(last)
                        >= settings.reset_backoff_threshold + *last_delay
                {
                    *backoff = None;
                    *restarts_since_reset = 0;
                }
                if *restarts_since_reset >= settings.attempts_before_reset_backoff {
                    RestartDecision::Fail {
                        reason: format!(
                            "the job failed again after {restarts_since_reset} restarts without \
                             running for {} in between, the most {} allows",
                            format_duration(settings.reset_backoff_threshold),
                            EXPONENTIAL_DELAY_ATTEMPTS.key
                        ),
                    }
                } else {
                    let base = match *backoff {
                        None => settings.initial_backoff,
                        Some(previous) => capped(
                            previous.as_secs_f64() * settings.multiplier,
                            settings.max_backoff,
                        ),
                    };
                    let spread =
                        (2.0 * next_unit(&mut self.random_state) - 1.0) * settings.jitter_factor;
                    let delay = capped(base.as_secs_f64() * (1.0 + spread), settings.max_backoff);
                    *backoff = Some(base);
                    *restarts_since_reset += 1;
                    *last_failure = Some(now);
                    *last_delay = delay;
                    RestartDecision::Restart { delay }
                }
            }
        };
        if let RestartDecision::Restart { .. } = decision {
            self.restarts += 1;
        }
        decision
    }

    /// One line for the CLI: the strategy and its settings.
    pub fn describe(&self) -> String {
        match &self.policy {
            Policy::None { explicit: true } => "none".to_owned(),
            Policy::None { explicit: false } => "none (checkpointing is off)".to_owned(),
            Policy::FixedDelay { attempts, delay } => format!(
                "fixed-delay ({attempts} attempts, {} delay)",
                format_duration(*delay)
            ),
            Policy::ExponentialDelay { settings, .. } => format!(
                "exponential-delay (initial backoff {}, max backoff {}, multiplier {}, jitter \
                 {}, reset after {}, {} attempts before reset)",
                format_duration(settings.initial_backoff),
                format_duration(settings.max_backoff),
                settings.multiplier,
                settings.jitter_factor,
                format_duration(settings.reset_backoff_threshold),
                settings.attempts_before_reset_backoff
            ),
        }
    }
}

/// `seconds` as a duration, at most `max` (also for infinite or NaN products).
fn capped(seconds: f64, max: Duration) -> Duration {
    if seconds.is_finite() && seconds < max.as_secs_f64() {
        Duration::from_secs_f64(seconds.max(0.0))
    } else {
        max
    }
}

/// A uniform number in `[0, 1)` (splitmix64).
fn next_unit(state: &mut u64) -> f64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(jitter_factor: f64) -> ExponentialDelaySettings {
        ExponentialDelaySettings {
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(10),
            multiplier: 2.0,
            reset_backoff_threshold: Duration::from_secs(60),
            jitter_factor,
            attempts_before_reset_backoff: 100,
        }
    }

    fn delay(decision: RestartDecision) -> Duration {
        match decision {
            RestartDecision::Restart { delay } => delay,
            RestartDecision::Fail { reason } => panic!("failed: {reason}"),
        }
    }

    #[test]
    fn unit_numbers_stay_in_range() {
        let mut state = 7;
        for _ in 0..10_000 {
            let u = next_unit(&mut state);
            assert!((0.0..1.0).contains(&u));
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_without_jitter() {
        let mut strategy = RestartStrategy::exponential_delay(settings(0.0)).unwrap();
        let start = Instant::now();
        let delays: Vec<u64> = (0..6)
            .map(|i| delay(strategy.on_failure(start + Duration::from_secs(i))).as_secs())
            .collect();
        assert_eq!(delays, vec![1, 2, 4, 8, 10, 10]);
        assert_eq!(strategy.restarts(), 6);
    }

    #[test]
    fn capped_handles_overflowing_products() {
        let max = Duration::from_secs(5);
        assert_eq!(capped(f64::INFINITY, max), max);
        assert_eq!(capped(f64::NAN, max), max);
        assert_eq!(capped(1e300, max), max);
        assert_eq!(capped(1.5, max), Duration::from_millis(1500));
    }
}
