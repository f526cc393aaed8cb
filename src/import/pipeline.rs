//! Checks a file's rows on every core and hands them to the store in file order.
//!
//! One thread reads the file and cuts its rows into batches; `workers` threads check the
//! batches, each with its own fork of the [`Validator`] (projection, snapping and the delbydel
//! lookup are most of an import's work), and encode the valid rows as the table's columns
//! ([`RowEncoder`]); the calling thread takes the batches back in file order, refuses repeated
//! ids (the one check that needs every earlier row) and hands them to the writer. Reading, checking and writing overlap, so on two cores an
//! import of a million rows takes about as long as its slowest stage, not the sum of them.
//!
//! Rejections come out as a single thread would find them: in line order, every row checked
//! even after the first rejection (so that all are reported), and no feature handed to the
//! writer after it.

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, sync_channel};

use indicatif::ProgressBar;

use super::source::RawRow;
use super::validate::Validator;
use super::{Rejection, Rejections};
use crate::feature::Feature;
use crate::store::StoreError;
use crate::store::write::{EncodedRows, RowEncoder};

/// Rows per batch: large enough that handing a batch over costs nothing next to checking it,
/// small enough that the batches in flight hold a few MB.
const BATCH_ROWS: usize = 4096;

/// Checked batches that may wait for the writer: DuckDB's appender takes batches quickly, then
/// stops for a while to store what it gathered (every 200k rows or so); with room for 256k
/// rows (about 25 MB) the checking threads go on meanwhile instead of waiting. On 2 cores,
/// 1M rows: 1.95 s with 4 batches in flight, 1.75 s with 64.
const CHECKED_IN_FLIGHT: usize = 64;

/// What reading and checking a file's rows found.
#[derive(Default)]
pub struct Checked {
    pub rows: u64,
    /// Valid rows that lie in no delbydel.
    pub unassigned: u64,
    pub rejections: Rejections,
    /// Hashes of ids that occur more than once, found at the end of a [`IdCheck::Collect`]
    /// pass; when there are any, the import is refused and [`IdCheck::Name`] finds the rows.
    pub repeated_ids: HashSet<u64, IdHashBuilder>,
}

/// The duplicate-id check, in up to two passes so that it holds 8 bytes a row however long the
/// ids are (10M rows: 80 MB; a hash set of the same hashes took 150-230 MB). Two different ids
/// share a hash with probability about n²/2⁶⁵: 3·10⁻⁸ for a file of 1M rows, 3·10⁻⁶ for 10M.
pub enum IdCheck {
    /// Keep every id's hash; sort them at the end to find those that occur twice.
    Collect(Vec<u64>),
    /// Name every row whose id's hash is in `repeated` and was seen in an earlier row.
    Name { repeated: HashSet<u64, IdHashBuilder>, seen: HashSet<u64, IdHashBuilder> },
    /// Refuse a repeated id at once, before its batch is written: for tables whose key forbids
    /// two rows with one id even inside the transaction (areas), whose files are small.
    Each(HashSet<u64, IdHashBuilder>),
}

impl IdCheck {
    /// The first pass, with room for the rows a file is expected to have.
    pub fn collect(expected_rows: Option<u64>) -> IdCheck {
        IdCheck::Collect(Vec::with_capacity(expected_rows.unwrap_or(0).min(100_000_000) as usize))
    }

    /// The second pass, for the hashes the first one found repeated.
    pub fn name(repeated: HashSet<u64, IdHashBuilder>) -> IdCheck {
        IdCheck::Name { repeated, seen: HashSet::default() }
    }

    /// Takes in a batch's keys; in the naming pass (and [`IdCheck::Each`]), a rejection for
    /// each repeat, naming the feature in formats with features (one-line files have no useful
    /// line numbers).
    fn admit(&mut self, keys: &[Key], id: impl Fn(usize) -> String, rejections: &mut Vec<Rejection>) {
        let repeat = |index: usize, key: &Key| {
            let feature = key.feature.map(|n| format!("feature {n}: ")).unwrap_or_default();
            Rejection::new(key.line, format!("{feature}duplicate id '{}' (an earlier row has the same id)", id(index)))
        };
        match self {
            IdCheck::Collect(hashes) => hashes.extend(keys.iter().map(|k| k.hash)),
            IdCheck::Name { repeated, seen } => {
                for (index, key) in keys.iter().enumerate() {
                    if repeated.contains(&key.hash) && !seen.insert(key.hash) {
                        rejections.push(repeat(index, key));
                    }
                }
            }
            IdCheck::Each(seen) => {
                for (index, key) in keys.iter().enumerate() {
                    if !seen.insert(key.hash) {
                        rejections.push(repeat(index, key));
                    }
                }
            }
        }
    }

    /// The hashes that occur more than once (first pass; none in the second).
    fn repeated(self) -> HashSet<u64, IdHashBuilder> {
        let IdCheck::Collect(mut hashes) = self else { return HashSet::default() };
        hashes.sort_unstable();
        hashes.windows(2).filter(|pair| pair[0] == pair[1]).map(|pair| pair[0]).collect()
    }
}

type Rows = Box<dyn Iterator<Item = Result<RawRow, Rejection>> + Send>;

/// A valid row's place (line, and feature number in formats with features) and id hash.
struct Key {
    line: usize,
    feature: Option<usize>,
    hash: u64,
}

/// A checked batch: its place in the file, the line and id hash of each valid row, those rows
/// (encoded for the table unless the batch had rejections or nothing is written), and its
/// rejections.
struct CheckedBatch {
    seq: u64,
    rows: u64,
    unassigned: u64,
    keys: Vec<Key>,
    valid: Valid,
    rejections: Vec<Rejection>,
}

/// A batch's valid rows: encoded for the writer, or as features when there is nothing to write.
enum Valid {
    Encoded(Result<EncodedRows, StoreError>),
    Features(Vec<Feature>),
}

impl Valid {
    /// The id of the batch's `index`-th valid row (for naming a repeated id).
    fn id(&self, index: usize) -> &str {
        match self {
            Valid::Encoded(Ok(rows)) => rows.id(index),
            Valid::Encoded(Err(_)) => None,
            Valid::Features(features) => features.get(index).map(|f| f.id.as_str()),
        }
        .unwrap_or("?")
    }
}

/// What is checked beyond each row: repeated ids, and whether a rejection stops the writing
/// (it does, unless the valid rows are to be kept).
pub struct Checks {
    pub ids: IdCheck,
    pub keep_valid: bool,
}

/// Reads and checks every row of `rows` on `workers` threads and calls `write` with the valid
/// rows encoded by `encoder`, in file order (with no encoder, a dry run, rows are only
/// checked); returns what was checked and what `write` returned. `validator` ends up with the
/// labels and repairs every worker found. When `write` fails, reading and checking stop.
pub fn check_in_order<W, E>(
    rows: Rows,
    validator: &mut Validator<'_>,
    encoder: Option<&RowEncoder<'_>>,
    Checks { ids, keep_valid }: Checks,
    workers: usize,
    bar: &ProgressBar,
    write: impl FnOnce(&mut dyn Iterator<Item = Result<EncodedRows, StoreError>>) -> Result<W, E>,
) -> (Checked, Result<W, E>) {
    let workers = workers.max(1);
    let forks: Vec<Validator<'_>> = (0..workers).map(|_| validator.fork()).collect();
    let (batch_sender, batches) = sync_channel::<(u64, Vec<Result<RawRow, Rejection>>)>(workers * 2);
    let (checked_sender, checked_batches) = sync_channel::<CheckedBatch>(CHECKED_IN_FLIGHT);
    let batches: RawBatches = Mutex::new(Some(batches));
    let (checked, written, forks) = std::thread::scope(|scope| {
        // However this scope ends (a panic in the writer or in every worker included), the
        // reader's receiver goes, so the reader stops instead of waiting to send forever.
        let _stop_reading = StopReading(&batches);
        scope.spawn(move || read_batches(rows, bar, batch_sender));
        let handles: Vec<_> = forks
            .into_iter()
            .map(|mut fork| {
                let (batches, sender) = (&batches, checked_sender.clone());
                scope.spawn(move || {
                    while let Some((seq, raw)) = next_batch(batches) {
                        if sender.send(check_batch(&mut fork, encoder, keep_valid, seq, raw)).is_err() {
                            break; // the writer stopped; it reports why
                        }
                    }
                    fork
                })
            })
            .collect();
        drop(checked_sender);
        let mut in_order = InOrder::new(checked_batches, ids, keep_valid);
        let written = write(&mut in_order);
        // Whatever the writer left unread is still checked, so that every rejection is
        // reported; after a store error the receiver is dropped and the workers stop.
        let checked = match &written {
            Ok(_) => in_order.finish(),
            Err(_) => {
                drop(in_order);
                stop_reading(&batches);
                Checked::default()
            }
        };
        let forks: Vec<Validator<'_>> = handles.into_iter().map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect();
        (checked, written, forks)
    });
    for fork in forks {
        validator.absorb(fork);
    }
    (checked, written)
}

fn read_batches(rows: Rows, bar: &ProgressBar, sender: std::sync::mpsc::SyncSender<(u64, Vec<Result<RawRow, Rejection>>)>) {
    let mut batch = Vec::with_capacity(BATCH_ROWS);
    let mut seq = 0;
    for row in rows {
        batch.push(row);
        if batch.len() == BATCH_ROWS {
            bar.inc(BATCH_ROWS as u64);
            if sender.send((seq, std::mem::replace(&mut batch, Vec::with_capacity(BATCH_ROWS)))).is_err() {
                return;
            }
            seq += 1;
        }
    }
    if !batch.is_empty() {
        let _ = sender.send((seq, batch));
    }
}

type RawBatches = Mutex<Option<Receiver<(u64, Vec<Result<RawRow, Rejection>>)>>>;

/// Drops the receiver of raw batches: the reader's next send fails and it stops.
fn stop_reading(batches: &RawBatches) {
    let mut receiver = batches.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    receiver.take();
}

/// Calls [`stop_reading`] when dropped.
struct StopReading<'a>(&'a RawBatches);

impl Drop for StopReading<'_> {
    fn drop(&mut self) {
        stop_reading(self.0);
    }
}

/// The next batch to check; `None` once the file is read, or the writer gave up (and took
/// the receiver away, which also stops the reader).
fn next_batch<T>(batches: &Mutex<Option<Receiver<T>>>) -> Option<T> {
    batches.lock().ok()?.as_ref()?.recv().ok()
}

fn check_batch(
    validator: &mut Validator<'_>,
    encoder: Option<&RowEncoder<'_>>,
    keep_valid: bool,
    seq: u64,
    raw: Vec<Result<RawRow, Rejection>>,
) -> CheckedBatch {
    let rows = raw.len() as u64;
    let mut keys = Vec::with_capacity(raw.len());
    let mut features = Vec::with_capacity(raw.len());
    let mut rejections = Vec::new();
    for row in raw {
        let (line, number) = row.as_ref().map_or((0, None), |r| (r.line, r.feature));
        match row.and_then(|r| validator.validate(r)) {
            Ok(feature) => {
                keys.push(Key { line, feature: number, hash: id_hash(&feature.id) });
                features.push(feature);
            }
            Err(rejection) => rejections.push(rejection),
        }
    }
    let unassigned = features.iter().filter(|f| f.delbydel.is_none()).count() as u64;
    // A batch with a rejection is never written (the import will be refused), unless the valid
    // rows are to be kept.
    let valid = match encoder {
        Some(encoder) if rejections.is_empty() || keep_valid => Valid::Encoded(encoder.encode(&features)),
        _ => Valid::Features(features),
    };
    CheckedBatch { seq, rows, unassigned, keys, valid, rejections }
}

/// The checked batches in file order, as encoded rows, through the duplicate-id check.
struct InOrder {
    receiver: Option<Receiver<CheckedBatch>>,
    waiting: BTreeMap<u64, CheckedBatch>,
    next_seq: u64,
    current: Option<Result<EncodedRows, StoreError>>,
    ids: Option<IdCheck>,
    checked: Checked,
    /// Rejections do not stop the writing: the valid rows are kept.
    keep_valid: bool,
}

impl InOrder {
    fn new(receiver: Receiver<CheckedBatch>, ids: IdCheck, keep_valid: bool) -> InOrder {
        let mut checked = Checked::default();
        checked.rejections.all = keep_valid.then(Vec::new);
        InOrder { receiver: Some(receiver), waiting: BTreeMap::new(), next_seq: 0, current: None, ids: Some(ids), checked, keep_valid }
    }

    /// The next batch in file order, once it has been checked.
    fn next_batch(&mut self) -> Option<CheckedBatch> {
        loop {
            if let Some(batch) = self.waiting.remove(&self.next_seq) {
                self.next_seq += 1;
                return Some(batch);
            }
            let batch = self.receiver.as_ref()?.recv().ok()?;
            self.waiting.insert(batch.seq, batch);
        }
    }

    /// Takes a batch in: its repeated ids (in the naming pass) join its rejections, all in
    /// line order.
    fn admit(&mut self, batch: CheckedBatch) {
        self.checked.rows += batch.rows;
        self.checked.unassigned += batch.unassigned;
        let mut rejections = batch.rejections;
        let rejected_before = rejections.len();
        if let Some(ids) = &mut self.ids {
            ids.admit(&batch.keys, |index| batch.valid.id(index).to_string(), &mut rejections);
        }
        if rejections.len() > rejected_before {
            rejections.sort_by_key(|r| r.line);
        }
        for rejection in rejections {
            self.checked.rejections.push(rejection);
        }
        self.current = match batch.valid {
            Valid::Encoded(rows) => Some(rows),
            Valid::Features(_) => None,
        };
    }

    /// Checks what is left unread, then what was found.
    fn finish(mut self) -> Checked {
        while let Some(batch) = self.next_batch() {
            self.admit(batch);
        }
        let mut checked = std::mem::take(&mut self.checked);
        checked.repeated_ids = self.ids.take().map(IdCheck::repeated).unwrap_or_default();
        checked
    }
}

impl Iterator for InOrder {
    type Item = Result<EncodedRows, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.checked.rejections.total > 0 && !self.keep_valid {
                // The import will be refused: check the rest, hand nothing more over.
                return None;
            }
            if let Some(rows) = self.current.take() {
                return Some(rows);
            }
            let batch = self.next_batch()?;
            self.admit(batch);
        }
    }
}

impl Drop for InOrder {
    fn drop(&mut self) {
        // Unblocks the workers when the writer gives up.
        self.receiver.take();
    }
}

/// Sets of [`id_hash`]es use them as they are instead of hashing them again.
#[derive(Clone, Copy, Default)]
pub struct IdHashBuilder;

impl std::hash::BuildHasher for IdHashBuilder {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher(0)
    }
}

#[derive(Default)]
pub struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys reach here (through write_u64); fold anything else in.
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(5) ^ u64::from_le_bytes(word);
        }
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = i;
    }
}

/// A 64-bit hash of an id for the duplicate check: foldhash's quality variant with a fixed
/// seed (well mixed, a fifth of SipHash's cost on short ids).
fn id_hash(id: &str) -> u64 {
    use std::hash::BuildHasher;
    foldhash::quality::FixedState::with_seed(0x626f_6d69_6c6a_6f00).hash_one(id)
}
