//! Placing an address: into a segment by the segments' ranges (the longest prefix wins), onto an
//! asset by the register's addresses, and whether it is internal at all. Built once per site:
//! one hash map per prefix length in use, looked up from the longest, so a lookup costs a few
//! hash probes whatever the number of ranges.

use std::net::IpAddr;

use ipnet::IpNet;
use rustc_hash::FxHashMap;

/// A longest-prefix map for one address family, addresses as integers.
#[derive(Debug, Default)]
struct Prefixes<T> {
    /// (prefix length, network → value), longest first.
    levels: Vec<(u8, FxHashMap<T, u16>)>,
}

trait Bits: Copy + Eq + std::hash::Hash {
    const WIDTH: u8;
    fn mask(self, len: u8) -> Self;
}

impl Bits for u32 {
    const WIDTH: u8 = 32;
    fn mask(self, len: u8) -> Self {
        if len == 0 {
            0
        } else {
            self & (u32::MAX << (32 - u32::from(len)))
        }
    }
}

impl Bits for u128 {
    const WIDTH: u8 = 128;
    fn mask(self, len: u8) -> Self {
        if len == 0 {
            0
        } else {
            self & (u128::MAX << (128 - u32::from(len)))
        }
    }
}

impl<T: Bits> Prefixes<T> {
    /// Adds a range; a range already present keeps its first value.
    fn insert(&mut self, net: T, len: u8, value: u16) {
        let len = len.min(T::WIDTH);
        let level = match self.levels.iter().position(|(l, _)| *l == len) {
            Some(i) => i,
            None => {
                self.levels.push((len, FxHashMap::default()));
                self.levels.sort_by_key(|level| std::cmp::Reverse(level.0));
                self.levels
                    .iter()
                    .position(|(l, _)| *l == len)
                    .expect("just added")
            }
        };
        self.levels[level].1.entry(net.mask(len)).or_insert(value);
    }

    fn get(&self, addr: T) -> Option<u16> {
        self.levels
            .iter()
            .find_map(|(len, map)| map.get(&addr.mask(*len)).copied())
    }
}

/// Where an address lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    /// The index of its segment in the site's list.
    pub segment: Option<u16>,
    /// In a segment or in the settings' internal ranges: an address that should be registered.
    pub internal: bool,
    /// The index of its asset in the site's list.
    pub asset: Option<u32>,
}

/// The index of a site's segments, internal ranges and assets' addresses.
#[derive(Debug, Default)]
pub struct Placer {
    seg_v4: Prefixes<u32>,
    seg_v6: Prefixes<u128>,
    internal_v4: Prefixes<u32>,
    internal_v6: Prefixes<u128>,
    /// Assets by address, one map per family (an integer hashes faster than an `IpAddr`).
    assets_v4: FxHashMap<u32, u32>,
    assets_v6: FxHashMap<u128, u32>,
}

fn add(v4: &mut Prefixes<u32>, v6: &mut Prefixes<u128>, net: &IpNet, value: u16) {
    match net {
        IpNet::V4(n) => v4.insert(u32::from(n.network()), n.prefix_len(), value),
        IpNet::V6(n) => v6.insert(u128::from(n.network()), n.prefix_len(), value),
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) are the IPv4 address they carry.
pub fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}

impl Placer {
    /// `segments`: each segment's ranges, in the site's order (the first of two equal ranges
    /// wins); `internal`: the settings' internal ranges; `assets`: each asset's addresses.
    pub fn new<'a>(
        segments: impl IntoIterator<Item = &'a [IpNet]>,
        internal: &[IpNet],
        assets: impl IntoIterator<Item = &'a [IpAddr]>,
    ) -> Placer {
        let mut p = Placer::default();
        for (i, ranges) in segments.into_iter().enumerate() {
            let i = u16::try_from(i).unwrap_or(u16::MAX);
            for net in ranges {
                add(&mut p.seg_v4, &mut p.seg_v6, net, i);
            }
        }
        for net in internal {
            add(&mut p.internal_v4, &mut p.internal_v6, net, 0);
        }
        for (i, addrs) in assets.into_iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            for a in addrs {
                match canonical(*a) {
                    IpAddr::V4(v4) => p.assets_v4.entry(u32::from(v4)).or_insert(i),
                    IpAddr::V6(v6) => p.assets_v6.entry(u128::from(v6)).or_insert(i),
                };
            }
        }
        p
    }

    pub fn place(&self, addr: IpAddr) -> Place {
        let addr = canonical(addr);
        let (segment, internal, asset) = match addr {
            IpAddr::V4(a) => {
                let n = u32::from(a);
                let s = self.seg_v4.get(n);
                let internal = s.is_some() || self.internal_v4.get(n).is_some();
                (s, internal, self.assets_v4.get(&n).copied())
            }
            IpAddr::V6(a) => {
                let n = u128::from(a);
                let s = self.seg_v6.get(n);
                let internal = s.is_some() || self.internal_v6.get(n).is_some();
                (s, internal, self.assets_v6.get(&n).copied())
            }
        };
        Place {
            segment,
            internal,
            asset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(raw: &[&str]) -> Vec<IpNet> {
        raw.iter().map(|r| r.parse().unwrap()).collect()
    }

    #[test]
    fn the_longest_prefix_wins_and_assets_are_exact() {
        let segs = [
            nets(&["10.0.0.0/8"]),
            nets(&["10.20.0.0/16", "2001:db8::/32"]),
            nets(&["10.20.5.0/24"]),
        ];
        let internal = nets(&["192.168.0.0/16"]);
        let assets = [
            vec!["10.20.0.5".parse().unwrap()],
            vec!["2001:db8::5".parse().unwrap()],
        ];
        let p = Placer::new(
            segs.iter().map(Vec::as_slice),
            &internal,
            assets.iter().map(Vec::as_slice),
        );
        let at = |a: &str| p.place(a.parse().unwrap());
        assert_eq!(at("10.1.1.1").segment, Some(0));
        assert_eq!(at("10.20.1.1").segment, Some(1));
        assert_eq!(at("10.20.5.1").segment, Some(2));
        assert_eq!(at("10.20.0.5").asset, Some(0));
        assert_eq!(at("::ffff:10.20.0.5").asset, Some(0), "IPv4-mapped");
        assert_eq!(
            at("2001:db8::5"),
            Place {
                segment: Some(1),
                internal: true,
                asset: Some(1)
            }
        );
        assert_eq!(
            at("192.168.3.3"),
            Place {
                segment: None,
                internal: true,
                asset: None
            }
        );
        assert_eq!(
            at("8.8.8.8"),
            Place {
                segment: None,
                internal: false,
                asset: None
            }
        );
        let everything = [nets(&["0.0.0.0/0", "::/0"])];
        let p = Placer::new(
            everything.iter().map(Vec::as_slice),
            &[],
            std::iter::empty(),
        );
        assert_eq!(p.place("8.8.8.8".parse().unwrap()).segment, Some(0));
        assert_eq!(p.place("::1".parse().unwrap()).segment, Some(0));
    }
}
