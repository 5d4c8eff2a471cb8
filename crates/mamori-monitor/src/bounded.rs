//! A map with a cap on its entries: past the cap, the oldest entry (by insertion) is evicted and
//! counted, so a flood of distinct keys cannot grow memory without limit.

use std::collections::VecDeque;
use std::hash::Hash;

use rustc_hash::FxHashMap;

#[derive(Debug)]
pub struct Bounded<K, V> {
    map: FxHashMap<K, (u64, V)>,
    /// Keys in insertion order with the generation they were inserted at; a key removed or
    /// inserted again since leaves a stale row, skipped when popped and dropped by `retain`.
    order: VecDeque<(u64, K)>,
    next: u64,
    cap: usize,
    pub evicted: u64,
}

impl<K: Hash + Eq + Clone, V> Bounded<K, V> {
    pub fn new(cap: usize) -> Self {
        Bounded {
            map: FxHashMap::default(),
            order: VecDeque::new(),
            next: 0,
            cap: cap.max(1),
            evicted: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// The entry of `key`, made with `make` if there is none; inserting past the cap first
    /// evicts the oldest entry, which is returned so the caller can account for it.
    pub fn get_or_insert_with(&mut self, key: &K, make: impl FnOnce() -> V) -> (&mut V, Option<V>) {
        let mut gone = None;
        if self.map.len() >= self.cap && !self.map.contains_key(key) {
            gone = self.pop_oldest().map(|(_, v)| v);
            self.evicted += 1;
        }
        if self.order.len() > 2 * self.map.len() + 1024 {
            self.compact();
        }
        // One probe when the key is there (the common case), not two.
        let v = match self.map.entry(key.clone()) {
            std::collections::hash_map::Entry::Occupied(o) => &mut o.into_mut().1,
            std::collections::hash_map::Entry::Vacant(slot) => {
                let generation = self.next;
                self.next += 1;
                self.order.push_back((generation, key.clone()));
                &mut slot.insert((generation, make())).1
            }
        };
        (v, gone)
    }

    /// Takes the oldest entry out (not counted as evicted: the caller decides).
    pub fn pop_oldest(&mut self) -> Option<(K, V)> {
        while let Some((generation, key)) = self.order.pop_front() {
            if self.map.get(&key).is_some_and(|(g, _)| *g == generation) {
                return self.map.remove(&key).map(|(_, v)| (key, v));
            }
        }
        None
    }

    /// Keeps the entries `keep` says yes to; `on_drop` sees the others.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &V) -> bool, mut on_drop: impl FnMut(V)) {
        let gone: Vec<K> = self
            .map
            .iter()
            .filter(|(k, (_, v))| !keep(k, v))
            .map(|(k, _)| k.clone())
            .collect();
        for key in gone {
            if let Some((_, v)) = self.map.remove(&key) {
                on_drop(v);
            }
        }
        self.compact();
    }

    /// Drops the order's stale rows (keys removed or inserted again since).
    fn compact(&mut self) {
        let map = &self.map;
        self.order
            .retain(|(g, k)| map.get(k).is_some_and(|(g2, _)| g2 == g));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_entry_goes_first_and_is_counted() {
        let mut m = Bounded::new(2);
        m.get_or_insert_with(&1, || "a");
        m.get_or_insert_with(&2, || "b");
        let (v, gone) = m.get_or_insert_with(&2, || "x");
        assert_eq!((*v, gone), ("b", None));
        let (_, gone) = m.get_or_insert_with(&3, || "c");
        assert_eq!(gone, Some("a"));
        assert_eq!((m.len(), m.evicted), (2, 1));
        m.retain(|k, _| *k != 2, |_| {});
        assert_eq!(m.pop_oldest(), Some((3, "c")));
        assert_eq!(m.pop_oldest(), None);
    }

    #[test]
    fn a_million_distinct_keys_stay_under_the_cap() {
        let mut m = Bounded::new(1000);
        for k in 0..1_000_000u32 {
            m.get_or_insert_with(&k, || k);
            if k % 1000 == 0 {
                m.retain(|key, _| key % 2 == 0, |_| {});
            }
        }
        assert!(m.len() <= 1000);
        assert!(m.order.len() <= 2 * 1000 + 1024 + 1);
        assert!(m.evicted > 400_000, "{}", m.evicted);
    }
}
