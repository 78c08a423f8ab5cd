//! CPU-bound stages (validation, planning) split over two cores.
//!
//! A row is validated and planned without looking at any other row, so a large input can be
//! cut in two and each half done on its own thread, then put back together in order. Two,
//! not N: the machines member-sync runs on from cron are small, and the other core is then
//! otherwise idle, or finishing the member list (`plan --against` reads the export on a thread
//! of its own). Small inputs stay on one thread, where starting another costs more than it
//! saves.

/// From this many items on, the work is split.
const TWO_THREADS_FROM: usize = 20_000;

/// Runs `work` over `items`: on two threads, each given one half, when the input is large and
/// the machine has a second core; else once over everything. The results come back in input
/// order (the second is `None` when the work was not split). A panic in either half is passed on.
pub(crate) fn in_two_halves<'a, T: Sync, R: Send>(
    items: &'a [T],
    work: impl Fn(&'a [T]) -> R + Sync,
) -> (R, Option<R>) {
    if !worth_splitting(items.len()) {
        return (work(items), None);
    }
    let (first, second) = items.split_at(items.len() / 2);
    both(|| work(first), || work(second))
}

/// [`in_two_halves`] for work that takes its items out of the list (leaving something cheap to
/// drop in their place): what the work does not keep is freed as it goes, by the thread done
/// with it, and no half is copied to be handed over.
pub(crate) fn in_two_halves_mut<T: Send, R: Send>(
    items: &mut [T],
    work: impl Fn(&mut [T]) -> R + Sync,
) -> (R, Option<R>) {
    if !worth_splitting(items.len()) {
        return (work(items), None);
    }
    let (first, second) = items.split_at_mut(items.len() / 2);
    both(|| work(first), || work(second))
}

fn worth_splitting(items: usize) -> bool {
    items >= TWO_THREADS_FROM && cores() >= 2
}

/// `first` on this thread and `second` on another, both results in that order.
fn both<R: Send>(first: impl FnOnce() -> R, second: impl FnOnce() -> R + Send) -> (R, Option<R>) {
    std::thread::scope(|scope| {
        let second = scope.spawn(second);
        let first = first();
        match second.join() {
            Ok(second) => (first, Some(second)),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// The cores this process may use, read once (on Linux each reading opens cgroup files).
fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_come_back_in_order_and_small_inputs_are_not_split() {
        let items: Vec<usize> = (0..50_000).collect();
        let (first, second) = in_two_halves(&items, |half| half.to_vec());
        let mut all = first;
        all.extend(second.into_iter().flatten());
        assert_eq!(all, items);

        let (once, none) = in_two_halves(&items[..10], <[usize]>::len);
        assert_eq!((once, none), (10, None));

        let mut taken = items.clone();
        let (first, second) = in_two_halves_mut(&mut taken, |half| {
            half.iter_mut().map(std::mem::take).collect::<Vec<_>>()
        });
        let mut all = first;
        all.extend(second.into_iter().flatten());
        assert_eq!(all, items);
        assert!(taken.iter().all(|&n| n == 0));
    }
}
