use std::time::Duration;

use super::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn admitted(v: Verdict) -> bool {
    matches!(v, Verdict::Admitted { .. })
}

#[test]
fn strict_bucket_refuses_a_request_one_millisecond_early() {
    let mut state = LimiterState::new(&LimiterModel::bucket(20.0, 1));
    assert_eq!(
        state.admit(ms(0)),
        Verdict::Admitted {
            limit: 1,
            remaining: 0
        }
    );
    assert_eq!(
        state.admit(ms(49)),
        Verdict::Throttled {
            wait: ms(1),
            limit: 1
        }
    );
    // The refusal spent nothing: on the exact instant the token is back, it passes.
    assert!(admitted(state.admit(ms(50))));
    // Two in the same millisecond: the second is refused for a whole interval.
    assert_eq!(
        state.admit(ms(50)),
        Verdict::Throttled {
            wait: ms(50),
            limit: 1
        }
    );
}

#[test]
fn bucket_admits_its_burst_then_refills_at_its_rate() {
    let mut state = LimiterState::new(&LimiterModel::bucket(1.0, 3));
    let remaining: Vec<_> = (0..3)
        .map(|_| match state.admit(ms(0)) {
            Verdict::Admitted { remaining, .. } => remaining,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(remaining, [2, 1, 0]);
    assert_eq!(
        state.admit(ms(400)),
        Verdict::Throttled {
            wait: ms(600),
            limit: 3
        }
    );
    assert!(admitted(state.admit(ms(1000))));
    assert!(!admitted(state.admit(ms(1000))));
    // A quiet spell refills it, but never above the burst.
    for _ in 0..3 {
        assert!(admitted(state.admit(ms(60_000))));
    }
    assert!(!admitted(state.admit(ms(60_000))));
}

#[test]
fn bucket_pacing_exactly_at_the_rate_is_never_refused() {
    let mut state = LimiterState::new(&LimiterModel::bucket(3.0, 1));
    // 1/3 s is not a whole number of nanoseconds; an exact pacer still never trips it.
    let interval = Duration::from_secs_f64(1.0 / 3.0);
    for i in 0..1000 {
        assert!(admitted(state.admit(interval * i)), "request {i}");
    }
}

#[test]
fn fixed_window_refuses_the_twenty_first_until_the_window_ends() {
    let mut state = LimiterState::new(&LimiterModel::windows(&[(20, Duration::from_secs(1))]));
    // The window opens at the first admitted request (100 ms), not at a round second.
    for i in 0..20 {
        assert_eq!(
            state.admit(ms(100 + i * 10)),
            Verdict::Admitted {
                limit: 20,
                remaining: 19 - i as u32
            }
        );
    }
    assert_eq!(
        state.admit(ms(1099)),
        Verdict::Throttled {
            wait: ms(1),
            limit: 20
        }
    );
    // Refusals are not counted; the next admitted request opens the next window...
    assert!(admitted(state.admit(ms(1100))));
    assert!(admitted(state.admit(ms(1500))));
    // ...which ends 1 s after it opened (2100 ms), not 1 s after the last one ended.
    for _ in 0..18 {
        assert!(admitted(state.admit(ms(2000))));
    }
    assert_eq!(
        state.admit(ms(2000)),
        Verdict::Throttled {
            wait: ms(100),
            limit: 20
        }
    );
}

#[test]
fn a_new_window_starts_at_the_next_admitted_request_after_a_gap() {
    let mut state = LimiterState::new(&LimiterModel::windows(&[(2, Duration::from_secs(1))]));
    assert!(admitted(state.admit(ms(0))));
    assert!(admitted(state.admit(ms(10))));
    // Quiet until 5 s: the window that opens at 5.3 s ends at 6.3 s.
    assert!(admitted(state.admit(ms(5300))));
    assert!(admitted(state.admit(ms(5400))));
    assert_eq!(
        state.admit(ms(6000)),
        Verdict::Throttled {
            wait: ms(300),
            limit: 2
        }
    );
    assert!(admitted(state.admit(ms(6300))));
}

#[test]
fn two_windows_at_once_the_long_ones_wait_dominating() {
    let model =
        LimiterModel::windows(&[(10, Duration::from_secs(1)), (25, Duration::from_secs(60))]);
    let mut state = LimiterState::new(&model);
    // The short window binds first: its headers are the ones reported.
    assert_eq!(
        state.admit(ms(0)),
        Verdict::Admitted {
            limit: 10,
            remaining: 9
        }
    );
    for _ in 1..10 {
        assert!(admitted(state.admit(ms(0))));
    }
    assert_eq!(
        state.admit(ms(500)),
        Verdict::Throttled {
            wait: ms(500),
            limit: 10
        }
    );
    for _ in 0..10 {
        assert!(admitted(state.admit(ms(1000))));
    }
    // 20 of the long window's 25 spent: now it has the least room, and reports itself.
    for i in 0..5 {
        assert_eq!(
            state.admit(ms(2000)),
            Verdict::Admitted {
                limit: 25,
                remaining: 4 - i
            }
        );
    }
    // Both refuse at 2.5 s (the short one has 5 left, the long one none): the long one's
    // wait, to 60 s, is what the client is told.
    assert_eq!(
        state.admit(ms(2500)),
        Verdict::Throttled {
            wait: ms(57_500),
            limit: 25
        }
    );
    assert!(admitted(state.admit(ms(60_000))));

    // When both refuse, the longer wait wins.
    let mut state = LimiterState::new(&model);
    for _ in 0..10 {
        state.admit(ms(0));
    }
    for _ in 0..10 {
        state.admit(ms(1000));
    }
    for _ in 0..5 {
        state.admit(ms(2000));
    }
    assert_eq!(
        state.admit(ms(2100)),
        Verdict::Throttled {
            wait: ms(57_900),
            limit: 25
        }
    );
    assert!(admitted(state.admit(ms(60_000))));
}

#[test]
fn sustained_rate_is_the_tightest_window() {
    let model =
        LimiterModel::windows(&[(10, Duration::from_secs(1)), (100, Duration::from_secs(60))]);
    assert!((model.sustained_per_second() - 100.0 / 60.0).abs() < 1e-12);
    assert_eq!(LimiterModel::bucket(20.0, 1).sustained_per_second(), 20.0);
}

#[test]
fn models_describe_themselves_and_their_problems() {
    let model = LimiterModel::windows(&[(20, Duration::from_secs(1)), (5, ms(250))]);
    assert_eq!(model.to_string(), "windows 20/1s,5/250ms");
    assert_eq!(
        LimiterModel::bucket(20.0, 1).to_string(),
        "bucket 20/s burst 1"
    );
    assert_eq!(model.problem(), None);
    assert!(LimiterModel::bucket(0.0, 1).problem().is_some());
    assert!(LimiterModel::bucket(1.0, 0).problem().is_some());
    assert!(LimiterModel::windows(&[]).problem().is_some());
    assert!(
        LimiterModel::windows(&[(0, Duration::from_secs(1))])
            .problem()
            .unwrap()
            .contains("0/1s")
    );
}
