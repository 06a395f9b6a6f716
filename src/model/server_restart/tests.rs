use super::*;

const S: fn(u64) -> Duration = Duration::from_secs;

#[test]
fn delays_double_from_one_second_and_cap_at_thirty() {
    let b = Backoff::DEFAULT;
    let got: Vec<Duration> = (1..=8).map(|a| b.delay(a)).collect();
    assert_eq!(got, [S(1), S(2), S(4), S(8), S(16), S(30), S(30), S(30)]);
    assert_eq!(b.delay(u32::MAX), S(30));
    assert_eq!(b.delay(0), S(1));
    assert_eq!(b.schedule(), [S(1), S(2), S(4), S(8)]);
}

#[test]
fn a_crash_streak_restarts_with_backoff_then_gives_up_at_the_fifth() {
    let b = Backoff::DEFAULT;
    let mut s = Streak::default();
    let mut seen = Vec::new();
    for _ in 0..5 {
        seen.push(s.on_exit(RestartPolicy::OnFailure, ExitKind::Code(1), None, &b));
    }
    assert_eq!(
        seen,
        [
            Decision::Restart {
                after: S(1),
                attempt: 1
            },
            Decision::Restart {
                after: S(2),
                attempt: 2
            },
            Decision::Restart {
                after: S(4),
                attempt: 3
            },
            Decision::Restart {
                after: S(8),
                attempt: 4
            },
            Decision::GiveUp { failures: 5 },
        ]
    );
}

#[test]
fn signals_and_unknown_exits_are_failures_a_clean_exit_is_not() {
    let b = Backoff::DEFAULT;
    let mut s = Streak::default();
    assert_eq!(
        s.on_exit(RestartPolicy::OnFailure, ExitKind::Signal(9), None, &b),
        Decision::Restart {
            after: S(1),
            attempt: 1
        }
    );
    assert_eq!(
        s.on_exit(RestartPolicy::OnFailure, ExitKind::Unknown, None, &b),
        Decision::Restart {
            after: S(2),
            attempt: 2
        }
    );
    assert_eq!(
        s.on_exit(RestartPolicy::OnFailure, ExitKind::Code(0), None, &b),
        Decision::Leave
    );
    let mut no = Streak::default();
    assert_eq!(
        no.on_exit(RestartPolicy::No, ExitKind::Code(3), None, &b),
        Decision::Leave
    );
    assert_eq!(no.failures, 0);
}

#[test]
fn a_long_enough_ready_run_resets_the_streak() {
    let b = Backoff::DEFAULT;
    let mut s = Streak { failures: 4 };
    // Ready for 9 s only: the streak goes on and gives up.
    assert_eq!(
        s.on_exit(RestartPolicy::OnFailure, ExitKind::Code(1), Some(S(9)), &b),
        Decision::GiveUp { failures: 5 }
    );
    let mut s = Streak { failures: 4 };
    assert_eq!(
        s.on_exit(RestartPolicy::OnFailure, ExitKind::Code(1), Some(S(10)), &b),
        Decision::Restart {
            after: S(1),
            attempt: 1
        }
    );
}
