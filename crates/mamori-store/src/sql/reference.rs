//! What every register page shows beside its rows (the classification scales, the segments and
//! the units), kept in memory between requests.
//!
//! The database counts changes to those tables (`reference_version`, moved by triggers, so a
//! change by another server, a `mamori` command or a person at the database counts too). Every
//! read of a session or an API token brings the count along, so a request's first read tells
//! whether what is kept is still current, without a query of its own. What is kept is used only
//! while the count was seen less than [`FRESH_MS`] ago: a caller that reads neither (a command,
//! a background job on an idle server) reads the tables.
//!
//! A value read after the count was seen at `n` is at least as new as `n`, so it is kept under
//! `n`. A write of this store forgets everything kept ([`Reference::forget`]); a value read
//! before such a write and offered after it is not kept.

use std::sync::Mutex;

use mamori_core::classification::Scales;
use mamori_core::org::Unit;

use crate::SegmentEntry;

/// How long a count seen by a session read vouches for what is kept (milliseconds).
const FRESH_MS: i64 = 1_000;

/// The values kept, each under the count it is current for.
#[derive(Default)]
pub(super) struct Reference {
    state: Mutex<State>,
}

#[derive(Default)]
pub(super) struct State {
    /// The highest count a session read found, and when.
    seen: Option<(i64, i64)>,
    /// Moves on every [`Reference::forget`], so that a value read before it is not kept.
    epoch: u64,
    scales: Option<(i64, Scales)>,
    segments: Option<(i64, Vec<SegmentEntry>)>,
    units: Option<(i64, Vec<Unit>)>,
}

/// One kind of value kept, by its type: only the whole of each (every unit, not an
/// organisation's) may be kept, or another read of the same type would take its place.
pub(super) trait Slot: Clone {
    fn slot(state: &mut State) -> &mut Option<(i64, Self)>;
}

impl Slot for Scales {
    fn slot(state: &mut State) -> &mut Option<(i64, Self)> {
        &mut state.scales
    }
}

impl Slot for Vec<SegmentEntry> {
    fn slot(state: &mut State) -> &mut Option<(i64, Self)> {
        &mut state.segments
    }
}

impl Slot for Vec<Unit> {
    fn slot(state: &mut State) -> &mut Option<(i64, Self)> {
        &mut state.units
    }
}

/// What [`Reference::lookup`] found.
pub(super) enum Lookup<T> {
    /// The value kept, current as of a count seen just now.
    Kept(T),
    /// Nothing current: read it, and [`Reference::keep`] it with this ticket.
    Read(Ticket),
    /// No count seen recently: read it, and keep nothing.
    Uncounted,
}

/// The count and epoch a value is read under.
pub(super) struct Ticket {
    version: i64,
    epoch: u64,
}

impl Reference {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is a few values replaced whole; a panic elsewhere cannot leave it half-made.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A session read found the count at `version` at `now_ms`.
    ///
    /// A count lower than one seen before is a read that began before a change and ended after
    /// another read saw it, or a count started again (its row made anew, the database restored):
    /// then the same count may name other values, so nothing kept or being read is kept. Without
    /// a count (its row gone, so that nothing counts changes any more), nothing is trusted.
    pub(super) fn saw(&self, version: Option<i64>, now_ms: i64) {
        let mut state = self.state();
        match (version, state.seen) {
            (Some(version), Some((seen, _))) if version < seen => {
                state.drop_kept();
                state.seen = Some((version, now_ms));
            }
            (Some(version), _) => state.seen = Some((version, now_ms)),
            (None, _) => {
                state.drop_kept();
                state.seen = None;
            }
        }
    }

    pub(super) fn lookup<T: Slot>(&self, now_ms: i64) -> Lookup<T> {
        let mut state = self.state();
        let Some((version, at)) = state.seen else {
            return Lookup::Uncounted;
        };
        // A clock set back makes the age negative: that vouches for nothing either.
        if !(0..=FRESH_MS).contains(&now_ms.saturating_sub(at)) {
            return Lookup::Uncounted;
        }
        let epoch = state.epoch;
        match T::slot(&mut state) {
            Some((kept, value)) if *kept == version => Lookup::Kept(value.clone()),
            _ => Lookup::Read(Ticket { version, epoch }),
        }
    }

    /// Keeps a value read after [`lookup`](Self::lookup) gave `ticket`, unless this store wrote
    /// since.
    pub(super) fn keep<T: Slot>(&self, ticket: Ticket, value: &T) {
        let mut state = self.state();
        if state.epoch == ticket.epoch {
            *T::slot(&mut state) = Some((ticket.version, value.clone()));
        }
    }

    /// After a write of this store: nothing kept is trusted, and nothing read before is kept.
    pub(super) fn forget(&self) {
        self.state().drop_kept();
    }
}

impl State {
    fn drop_kept(&mut self) {
        self.epoch += 1;
        self.scales = None;
        self.segments = None;
        self.units = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(reference: &Reference, now_ms: i64) -> Option<Scales> {
        match reference.lookup::<Scales>(now_ms) {
            Lookup::Kept(scales) => Some(scales),
            _ => None,
        }
    }

    fn read_and_keep(reference: &Reference, now_ms: i64, scales: &Scales) {
        let Lookup::Read(ticket) = reference.lookup::<Scales>(now_ms) else {
            panic!("expected a read");
        };
        reference.keep(ticket, scales);
    }

    #[test]
    fn nothing_is_kept_without_a_count_seen_just_now() {
        let reference = Reference::default();
        assert!(matches!(reference.lookup::<Scales>(0), Lookup::Uncounted));
        reference.saw(Some(3), 1_000);
        let scales = Scales::mic_default(false);
        read_and_keep(&reference, 1_100, &scales);
        assert_eq!(kept(&reference, 1_100), Some(scales.clone()));
        assert_eq!(kept(&reference, 2_000), Some(scales));
        // A second after the count was seen, it no longer vouches for anything.
        assert!(matches!(
            reference.lookup::<Scales>(2_001),
            Lookup::Uncounted
        ));
    }

    #[test]
    fn a_new_count_or_a_write_makes_the_value_read_again() {
        let reference = Reference::default();
        let scales = Scales::mic_default(false);
        reference.saw(Some(3), 0);
        read_and_keep(&reference, 0, &scales);
        assert!(kept(&reference, 0).is_some());
        reference.saw(Some(3), 10);
        assert!(kept(&reference, 10).is_some());
        reference.saw(Some(4), 20);
        assert!(kept(&reference, 20).is_none());
        read_and_keep(&reference, 20, &scales);
        assert!(kept(&reference, 20).is_some());
        reference.forget();
        assert!(kept(&reference, 20).is_none());
        // No count at all: nothing is kept.
        read_and_keep(&reference, 20, &scales);
        reference.saw(None, 30);
        assert!(matches!(reference.lookup::<Scales>(30), Lookup::Uncounted));
    }

    #[test]
    fn a_lower_count_or_a_clock_set_back_trusts_nothing_kept() {
        let reference = Reference::default();
        let scales = Scales::mic_default(false);
        reference.saw(Some(7), 1_000);
        read_and_keep(&reference, 1_000, &scales);
        // The count started again and has climbed back to 7: the 7 kept is another 7.
        reference.saw(Some(2), 1_100);
        assert!(kept(&reference, 1_100).is_none());
        reference.saw(Some(7), 1_200);
        assert!(kept(&reference, 1_200).is_none());
        read_and_keep(&reference, 1_200, &scales);
        assert!(kept(&reference, 1_200).is_some());
        assert!(matches!(
            reference.lookup::<Scales>(1_199),
            Lookup::Uncounted
        ));
    }

    #[test]
    fn a_value_read_before_a_write_is_not_kept_after_it() {
        let reference = Reference::default();
        reference.saw(Some(1), 0);
        let Lookup::Read(ticket) = reference.lookup::<Vec<Unit>>(0) else {
            panic!("expected a read");
        };
        reference.forget();
        reference.keep(ticket, &Vec::<Unit>::new());
        assert!(matches!(reference.lookup::<Vec<Unit>>(0), Lookup::Read(_)));
    }
}
