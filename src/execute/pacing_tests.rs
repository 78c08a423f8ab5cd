//! The pacer in paused time: the order and spacing requests leave in, never a wall clock.

use super::*;

fn pace(text: &str) -> Pace {
    text.parse().unwrap()
}

/// Sends `n` requests one after the other as soon as the pacer lets them, and gives their
/// send times from `start`.
async fn send_times(pacer: &Pacer, n: usize, start: Instant) -> Vec<Duration> {
    let stop = CancellationToken::new();
    let mut times = Vec::new();
    for _ in 0..n {
        pacer.ready(&stop, Attempt::First).await.unwrap();
        times.push(start.elapsed());
    }
    times
}

#[tokio::test(start_paused = true)]
async fn a_pause_holds_every_request_back() {
    let pacer = Pacer::new(pace("1000/s"));
    let stop = CancellationToken::new();
    let start = Instant::now();
    pacer.pause_for(Duration::from_secs(5), "a 429");
    pacer.ready(&stop, Attempt::First).await.unwrap();
    assert!(start.elapsed() >= Duration::from_secs(5));
    assert_eq!(pacer.held_back().server_pauses, 1);
}

#[tokio::test(start_paused = true)]
async fn a_pause_is_never_shortened_and_says_how_much_it_grew() {
    let pacer = Pacer::new(pace("10/s"));
    let long = pacer.pause_for(Duration::from_secs(30), "a 429 with Retry-After 30 s");
    assert_eq!(long.by, Duration::from_secs(30));
    let short = pacer.pause_for(Duration::from_secs(2), "a 429 with Retry-After 2 s");
    assert_eq!(short.by, Duration::ZERO);
    assert_eq!(short.until, long.until);
    assert_eq!(pacer.pause().unwrap().source, "a 429 with Retry-After 30 s");
    assert_eq!(pacer.held_back().server_pauses, 1);
}

#[tokio::test(start_paused = true)]
async fn stopping_ends_the_wait() {
    let pacer = Pacer::new(pace("1000/s"));
    let stop = CancellationToken::new();
    pacer.pause_for(Duration::from_secs(3600), "a 429");
    stop.cancel();
    assert!(pacer.ready(&stop, Attempt::First).await.is_err());
}

#[tokio::test(start_paused = true)]
async fn requests_leave_one_interval_apart_and_never_two_together_after_a_pause() {
    let pacer = Pacer::new(pace("10/s"));
    let start = Instant::now();
    let first = send_times(&pacer, 4, start).await;
    // The slack is a tenth of an interval, spent at once: then one interval apart.
    assert_eq!(first, [0, 90, 190, 290].map(Duration::from_millis).to_vec());
    // A quiet spell (the gap between the list and the writes), then a pause.
    tokio::time::sleep(Duration::from_secs(3)).await;
    pacer.pause_for(Duration::from_secs(1), "a 429");
    let start = Instant::now();
    let after = send_times(&pacer, 3, start).await;
    assert_eq!(
        after,
        [1000, 1090, 1190].map(Duration::from_millis).to_vec()
    );
}

#[tokio::test(start_paused = true)]
async fn no_window_of_a_counted_limit_holds_more_than_its_count() {
    // 5 a second, and 8 in any 10 s: the ninth waits for the first to leave its window.
    let pacer = Pacer::new(pace("5/s,8/10s"));
    let start = Instant::now();
    let times = send_times(&pacer, 10, start).await;
    assert!(times[7] < Duration::from_secs(2), "{times:?}");
    assert_eq!(times[8], times[0] + Duration::from_secs(10));
    assert_eq!(times[9], times[1] + Duration::from_secs(10));
    let held = pacer.held_back();
    assert_eq!(
        held.longest().unwrap().0,
        Holder::Limit("8/10s".parse().unwrap())
    );
}

#[tokio::test(start_paused = true)]
async fn a_retry_goes_ahead_of_the_first_attempts_waiting() {
    let pacer = std::sync::Arc::new(Pacer::new(pace("10/s")));
    let stop = CancellationToken::new();
    pacer.ready(&stop, Attempt::First).await.unwrap();
    let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut waiting = tokio::task::JoinSet::new();
    for (name, attempt) in [
        ("first 1", Attempt::First),
        ("first 2", Attempt::First),
        ("first 3", Attempt::First),
        ("retry", Attempt::Retry),
    ] {
        let (pacer, stop, order) = (pacer.clone(), stop.clone(), order.clone());
        waiting.spawn(async move {
            pacer.ready(&stop, attempt).await.unwrap();
            order.lock().unwrap().push(name);
        });
        // Each in the queue before the next arrives.
        tokio::task::yield_now().await;
    }
    waiting.join_all().await;
    // The retry waited behind the one first attempt already at the gate, not behind all.
    assert_eq!(
        *order.lock().unwrap(),
        ["first 1", "retry", "first 2", "first 3"]
    );
}

#[tokio::test(start_paused = true)]
async fn a_429_slows_the_whole_pool_once_and_a_fixed_rate_is_its_ceiling() {
    let pacer = Pacer::new(pace("10/s"));
    let stop = CancellationToken::new();
    let first = pacer.ready(&stop, Attempt::First).await.unwrap();
    let second = pacer.ready(&stop, Attempt::First).await.unwrap();
    assert_eq!(pacer.rate().per_second(), 10.0);
    pacer.observe(first, Signal::Throttled, None);
    let cut = pacer.rate().per_second();
    assert!(cut < 10.0);
    pacer.observe(second, Signal::Throttled, None);
    assert_eq!(pacer.rate().per_second(), cut);
    // It climbs back, and however well it goes, never above the ceiling.
    for _ in 0..2000 {
        let ticket = pacer.ready(&stop, Attempt::First).await.unwrap();
        pacer.observe(ticket, Signal::Accepted, None);
        assert!(pacer.rate().per_second() <= 10.0);
    }
    assert!(pacer.rate().per_second() > cut);
}

#[tokio::test(start_paused = true)]
async fn auto_speeds_up_at_once_when_answers_come_back() {
    let pacer = std::sync::Arc::new(Pacer::new(pace("auto")));
    let stop = CancellationToken::new();
    let start = Instant::now();
    let ticket = pacer.ready(&stop, Attempt::First).await.unwrap();
    // The next slot is half a second away at the starting rate...
    let waiter = {
        let (pacer, stop) = (pacer.clone(), stop.clone());
        tokio::spawn(async move {
            pacer.ready(&stop, Attempt::First).await.unwrap();
            start.elapsed()
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    // ... but an answer after 100 ms speeds the pace up, and the waiter goes now.
    pacer.observe(ticket, Signal::Accepted, None);
    let sent = waiter.await.unwrap();
    assert!(sent < Duration::from_millis(200), "{sent:?}");
}

#[tokio::test(start_paused = true)]
async fn rate_headers_pause_before_the_429_and_spread_what_is_left() {
    let pacer = Pacer::new(pace("100/s"));
    let stop = CancellationToken::new();
    let ticket = pacer.ready(&stop, Attempt::First).await.unwrap();
    let spent = api::Quota {
        limit: Some(60),
        remaining: 0,
        reset_in: Some(Duration::from_secs(20)),
    };
    pacer.observe(ticket, Signal::Accepted, Some(spent));
    let start = Instant::now();
    let ticket = pacer.ready(&stop, Attempt::First).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(20));
    // 5 left for the next 10 s: half a request a second, whatever the ceiling.
    let left = api::Quota {
        limit: Some(60),
        remaining: 5,
        reset_in: Some(Duration::from_secs(10)),
    };
    pacer.observe(ticket, Signal::Accepted, Some(left));
    assert_eq!(pacer.rate().per_second(), 0.5);
}
