//! Work split over the machine's cores with scoped threads: one contiguous chunk per core, results
//! in input order. Enough for the batch work here (assignment, scoring); no thread pool to carry.

/// The number of cores to use.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// `f` over `items` on `threads` threads, results in the order of `items`.
///
/// ```
/// let squares = bomiljo::parallel::map(&[1, 2, 3, 4, 5], 2, |v| v * v);
/// assert_eq!(squares, vec![1, 4, 9, 16, 25]);
/// ```
pub fn map<T: Sync, U: Send>(items: &[T], threads: usize, f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let chunk = items.len().div_ceil(threads.max(1)).max(1);
    if threads <= 1 || items.len() <= 1 {
        return items.iter().map(f).collect();
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = items.chunks(chunk).map(|part| scope.spawn(|| part.iter().map(&f).collect::<Vec<U>>())).collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    })
}
