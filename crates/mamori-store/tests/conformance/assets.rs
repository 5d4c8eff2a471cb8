//! Cases of the asset register: assets, segments, scales, the list, the summary and imports.

use mamori_core::asset::{AssetId, AssetKind, Disposal, Flag, Lifecycle};
use mamori_core::authz::{
    AssetPlace, AssetVisibility, ManageAssets, ManageRegister, ViewAssetDetail, ViewAssets,
    ViewDirectory,
};
use mamori_core::classification::{Classification, Dimension, Scales, segment_codes};
use mamori_core::segment::{Segment, SegmentId, parse_ranges};
use mamori_core::{OrgId, UnitId};
use mamori_store::{
    AssetFilter, AssetInput, AssetRow, AssetSort, COUNT_AHEAD, Conflict, ImportRow, NewAsset,
    SegmentEntry, StoreError,
};

use crate::{
    Fx, assert_befores_chain, assert_conflict, assert_not_found, grant, json, name, new_org,
    new_unit, origin,
};

fn manage() -> mamori_core::Granted<ManageAssets> {
    grant::<ManageAssets>(&AssetPlace {
        asset: None,
        owner_unit: None,
        owner_org: None,
        restricted: false,
        existence_visible: true,
    })
}

fn detail() -> mamori_core::Granted<ViewAssetDetail> {
    grant::<ViewAssetDetail>(&AssetPlace {
        asset: None,
        owner_unit: None,
        owner_org: None,
        restricted: true,
        existence_visible: false,
    })
}

fn view() -> mamori_core::Granted<ViewAssets> {
    grant::<ViewAssets>(&())
}

fn register() -> mamori_core::Granted<ManageRegister> {
    grant::<ManageRegister>(&())
}

fn class(c: &str, i: &str, a: &str) -> Classification {
    Classification {
        confidentiality: c.into(),
        integrity: i.into(),
        availability: a.into(),
    }
}

fn segment(code: &str, title: &str, ranges: &str) -> Segment {
    Segment {
        code: code.into(),
        name: name(title),
        ranges: parse_ranges("ranges", ranges).unwrap(),
        note: String::new(),
    }
}

/// An organisation with two units and the three segments of the MIC model.
struct Register {
    unit_a: UnitId,
    unit_b: UnitId,
    org: OrgId,
    lgwan: SegmentEntry,
    internet: SegmentEntry,
}

async fn register_fixture(fx: &Fx) -> Register {
    let org = new_org(fx, "KANRI", "管理者").await;
    let unit_a = new_unit(fx, org.id, None, "総務課").await;
    let unit_b = new_unit(fx, org.id, None, "情報政策課").await;
    let s = fx.store();
    let lgwan = s
        .create_segment(
            &register(),
            segment(segment_codes::LGWAN, "LGWAN接続系", "10.10.0.0/16"),
            &origin(),
        )
        .await
        .unwrap();
    let internet = s
        .create_segment(
            &register(),
            segment(
                segment_codes::INTERNET,
                "インターネット接続系",
                "172.16.0.0/16",
            ),
            &origin(),
        )
        .await
        .unwrap();
    s.create_segment(
        &register(),
        segment(
            segment_codes::MYNUMBER,
            "マイナンバー利用事務系",
            "10.20.0.0/16",
        ),
        &origin(),
    )
    .await
    .unwrap();
    Register {
        unit_a: unit_a.id,
        unit_b: unit_b.id,
        org: org.id,
        lgwan,
        internet,
    }
}

fn input(title: &str, kind: AssetKind, unit: UnitId, segment: Option<SegmentId>) -> AssetInput {
    AssetInput {
        kind,
        name: name(title),
        owner_unit: unit,
        administrator: None,
        location: "本庁舎3階サーバ室".into(),
        segment,
        hosts: vec![],
        addresses: vec![],
        lifecycle: Lifecycle::InUse,
        note: String::new(),
    }
}

fn new_asset(input: AssetInput, c: &str) -> NewAsset {
    NewAsset {
        input,
        classification: class(c, "2", "2"),
        disposal: None,
    }
}

pub async fn assets_crud_and_flags(fx: Fx) {
    let r = register_fixture(&fx).await;
    let s = fx.store();
    let before = fx.audit_len().await;
    let mut server = input(
        "住民記録システム DBサーバ",
        AssetKind::Equipment,
        r.unit_a,
        Some(r.internet.id),
    );
    server.hosts = vec!["jumin-db01".into()];
    server.addresses = vec!["172.16.3.10".parse().unwrap()];
    let created = s
        .create_asset(&manage(), new_asset(server.clone(), "3"), &origin())
        .await
        .unwrap();
    fx.assert_one_record(before, "asset.create").await;
    assert_eq!(created.name, "住民記録システム DBサーバ");
    assert_eq!(created.owner_unit_name, "総務課");
    assert_eq!(created.owner_org_id, r.org);
    assert_eq!(
        created.segment_code.as_deref(),
        Some(segment_codes::INTERNET)
    );
    assert_eq!(created.hosts, ["jumin-db01"]);
    assert_eq!(
        created.flags,
        vec![Flag::SegmentForbidden {
            segment: segment_codes::INTERNET.into(),
            level: "機密性3".into()
        }]
    );

    // Moved to LGWAN with an address that is not in it.
    let mut moved = server.clone();
    moved.segment = Some(r.lgwan.id);
    let before = fx.audit_len().await;
    let updated = s
        .update_asset(&manage(), created.id, moved, &origin())
        .await
        .unwrap();
    fx.assert_one_record(before, "asset.update").await;
    assert_eq!(
        updated.flags,
        vec![Flag::AddressOutsideSegment {
            address: "172.16.3.10".parse().unwrap(),
            segment: segment_codes::LGWAN.into()
        }]
    );
    assert!(updated.updated_at >= created.updated_at);

    let before = fx.audit_len().await;
    let reclassified = s
        .reclassify_asset(
            &manage(),
            created.id,
            class("1", "1", "1"),
            "公開情報のみ",
            &origin(),
        )
        .await
        .unwrap();
    let record = fx.assert_one_record(before, "asset.reclassify").await;
    assert_eq!(record.event.detail["reason"], "公開情報のみ");
    assert_eq!(reclassified.classification, class("1", "1", "1"));
    assert_eq!(reclassified.flags.len(), 1, "the address is still outside");

    let before = fx.audit_len().await;
    let disposal = Disposal {
        method: "物理破壊".into(),
        by: "総務課 山本".into(),
        at_ms: fx.now(),
    };
    let disposed = s
        .dispose_asset(&manage(), created.id, disposal.clone(), &origin())
        .await
        .unwrap();
    fx.assert_one_record(before, "asset.dispose").await;
    assert_eq!(disposed.lifecycle, Lifecycle::Disposed);
    assert_eq!(disposed.disposal, Some(disposal));

    let read = s
        .asset(&detail(), created.id, &origin())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read, disposed);
    assert!(
        s.asset(&detail(), AssetId(999_999), &origin())
            .await
            .unwrap()
            .is_none()
    );
    crate::assert_not_found(
        s.update_asset(&manage(), AssetId(999_999), server, &origin())
            .await,
        "update of a missing asset",
    );

    // Disposed without a record (as an import may bring) is flagged.
    let mut unrecorded = input("旧端末", AssetKind::Equipment, r.unit_b, None);
    unrecorded.lifecycle = Lifecycle::Disposed;
    let unrecorded = s
        .create_asset(&manage(), new_asset(unrecorded, "2"), &origin())
        .await
        .unwrap();
    assert_eq!(unrecorded.flags, vec![Flag::DisposalUnrecorded]);

    // A disposed asset does not come back into use, and its record is not overwritten; the
    // missing record of one imported as disposed may be filled in once.
    let before = fx.audit_len().await;
    let mut revived = input("住民記録サーバ", AssetKind::Equipment, r.unit_a, None);
    revived.lifecycle = Lifecycle::InUse;
    assert!(matches!(
        s.update_asset(&manage(), disposed.id, revived, &origin())
            .await,
        Err(StoreError::Conflict(Conflict::AssetDisposed))
    ));
    let again = Disposal {
        method: "売却".into(),
        by: "誰か".into(),
        at_ms: fx.now(),
    };
    assert!(matches!(
        s.dispose_asset(&manage(), disposed.id, again.clone(), &origin())
            .await,
        Err(StoreError::Conflict(Conflict::AssetDisposed))
    ));
    fx.assert_no_record(before, "refused changes of a disposed asset")
        .await;
    let reread = s
        .asset(&detail(), disposed.id, &origin())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reread, disposed);
    let filled = s
        .dispose_asset(&manage(), unrecorded.id, again.clone(), &origin())
        .await
        .unwrap();
    assert_eq!(filled.disposal, Some(again));
    assert!(filled.flags.is_empty(), "{:?}", filled.flags);
    assert_eq!(fx.verify().await.result, Ok(()));
}

pub async fn asset_references_and_levels_are_checked(fx: Fx) {
    let r = register_fixture(&fx).await;
    let s = fx.store();
    let before = fx.audit_len().await;
    let ok = input("文書管理システム", AssetKind::System, r.unit_a, None);
    assert_conflict(
        s.create_asset(&manage(), new_asset(ok.clone(), "9"), &origin())
            .await,
        Conflict::AssetUnknownLevel,
        "unknown level",
    );
    assert_conflict(
        s.create_asset(
            &manage(),
            new_asset(
                AssetInput {
                    segment: Some(SegmentId(999)),
                    ..ok.clone()
                },
                "2",
            ),
            &origin(),
        )
        .await,
        Conflict::AssetSegmentMissing,
        "unknown segment",
    );
    assert_conflict(
        s.create_asset(
            &manage(),
            new_asset(
                AssetInput {
                    owner_unit: UnitId(999),
                    ..ok.clone()
                },
                "2",
            ),
            &origin(),
        )
        .await,
        Conflict::AssetUnitMissing,
        "unknown unit",
    );
    assert_conflict(
        s.create_asset(
            &manage(),
            new_asset(
                AssetInput {
                    administrator: Some(mamori_core::PersonId(999)),
                    ..ok.clone()
                },
                "2",
            ),
            &origin(),
        )
        .await,
        Conflict::AssetAdministratorMissing,
        "unknown administrator",
    );
    fx.assert_no_record(before, "refused asset writes").await;
    // Codes are stored in the scale's own spelling.
    let lower = s
        .create_asset(&manage(), new_asset(ok, "1"), &origin())
        .await
        .unwrap();
    assert_eq!(lower.classification.confidentiality, "1");
}

async fn listed(fx: &Fx, filter: AssetFilter) -> (Vec<String>, i64) {
    let (rows, total) = fx
        .store()
        .list_assets(&view(), &AssetVisibility::All, &filter)
        .await
        .unwrap();
    assert!(!total.more, "a few assets are counted whole");
    (rows.into_iter().map(|r| r.name).collect(), total.n)
}

pub async fn asset_list_filters_sorts_and_pages(fx: Fx) {
    let r = register_fixture(&fx).await;
    let s = fx.store();
    let rows: [(&str, AssetKind, UnitId, Option<SegmentId>, &str); 6] = [
        (
            "庁内LAN",
            AssetKind::Network,
            r.unit_b,
            Some(r.lgwan.id),
            "2",
        ),
        (
            "住民税システム",
            AssetKind::System,
            r.unit_a,
            Some(r.lgwan.id),
            "3",
        ),
        (
            "公開Webサーバ",
            AssetKind::Equipment,
            r.unit_b,
            Some(r.internet.id),
            "1",
        ),
        (
            "ネットワーク構成図",
            AssetKind::Document,
            r.unit_b,
            None,
            "2",
        ),
        (
            "課税台帳 100%_版",
            AssetKind::Information,
            r.unit_a,
            None,
            "3",
        ),
        (
            "USBメモリ 12",
            AssetKind::Media,
            r.unit_a,
            Some(r.internet.id),
            "3",
        ),
    ];
    for (title, kind, unit, segment, c) in rows {
        fx.clock.advance(1000);
        s.create_asset(
            &manage(),
            new_asset(input(title, kind, unit, segment), c),
            &origin(),
        )
        .await
        .unwrap();
    }
    let base = AssetFilter {
        limit: 50,
        ..AssetFilter::default()
    };
    let (names, total) = listed(&fx, base.clone()).await;
    assert_eq!(total, 6);
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "by name by default");

    let (names, _) = listed(
        &fx,
        AssetFilter {
            kind: Some(AssetKind::System),
            ..base.clone()
        },
    )
    .await;
    assert_eq!(names, ["住民税システム"]);
    let (_, total) = listed(
        &fx,
        AssetFilter {
            owner_unit: Some(r.unit_a),
            ..base.clone()
        },
    )
    .await;
    assert_eq!(total, 3);
    let (names, _) = listed(
        &fx,
        AssetFilter {
            segment: Some(r.internet.id),
            ..base.clone()
        },
    )
    .await;
    assert_eq!(names, ["USBメモリ 12", "公開Webサーバ"]);
    let (_, total) = listed(
        &fx,
        AssetFilter {
            confidentiality: Some("3".into()),
            ..base.clone()
        },
    )
    .await;
    assert_eq!(total, 3);
    let (_, total) = listed(
        &fx,
        AssetFilter {
            integrity: Some("1".into()),
            ..base.clone()
        },
    )
    .await;
    assert_eq!(total, 0);
    let (_, total) = listed(
        &fx,
        AssetFilter {
            lifecycle: Some(Lifecycle::InUse),
            ..base.clone()
        },
    )
    .await;
    assert_eq!(total, 6);
    let (names, _) = listed(
        &fx,
        AssetFilter {
            flagged_only: true,
            ..base.clone()
        },
    )
    .await;
    assert_eq!(names, ["USBメモリ 12"], "機密性3 on the Internet segment");
    // Text search: case-insensitive, wildcards literal, over location too.
    let (names, _) = listed(
        &fx,
        AssetFilter {
            text: Some("webサーバ".into()),
            ..base.clone()
        },
    )
    .await;
    assert_eq!(names, ["公開Webサーバ"]);
    let (names, _) = listed(
        &fx,
        AssetFilter {
            text: Some("100%_".into()),
            ..base.clone()
        },
    )
    .await;
    assert_eq!(names, ["課税台帳 100%_版"]);
    let (_, total) = listed(
        &fx,
        AssetFilter {
            text: Some("サーバ室".into()),
            ..base.clone()
        },
    )
    .await;
    assert_eq!(total, 6);

    let (names, _) = listed(
        &fx,
        AssetFilter {
            sort: AssetSort::Updated,
            ..base.clone()
        },
    )
    .await;
    assert_eq!(names[0], "USBメモリ 12", "newest first");
    assert_eq!(names[5], "庁内LAN");
    let (names, _) = listed(
        &fx,
        AssetFilter {
            sort: AssetSort::Class,
            ..base.clone()
        },
    )
    .await;
    assert_eq!(names[3..5], ["ネットワーク構成図", "庁内LAN"]);
    assert_eq!(names[5], "公開Webサーバ");
    let (names, _) = listed(
        &fx,
        AssetFilter {
            sort: AssetSort::Kind,
            ..base.clone()
        },
    )
    .await;
    assert_eq!(names[0], "ネットワーク構成図", "document sorts first");

    // Pages of two.
    let mut seen = Vec::new();
    for page in 0..3 {
        let (names, total) = listed(
            &fx,
            AssetFilter {
                offset: page * 2,
                limit: 2,
                ..base.clone()
            },
        )
        .await;
        assert_eq!(total, 6);
        assert_eq!(names.len(), 2);
        seen.extend(names);
    }
    assert_eq!(seen, sorted);
}

/// A listing that the tallies do not count (a search, three filters) counts its matches only up
/// to [`COUNT_AHEAD`] past the page's start, and says when more match.
pub async fn broad_listings_count_a_thousand_ahead_of_the_page(fx: Fx) {
    let r = register_fixture(&fx).await;
    let s = fx.store();
    let many = COUNT_AHEAD + 100;
    let rows: Vec<NewAsset> = (0..many)
        .map(|i| {
            new_asset(
                input(
                    &format!("端末 {i:05}"),
                    AssetKind::Equipment,
                    r.unit_a,
                    Some(r.lgwan.id),
                ),
                "2",
            )
        })
        .collect();
    s.import_assets(&register(), rows, &origin()).await.unwrap();
    let list = |text: Option<&str>, kind: Option<AssetKind>, offset: i64| AssetFilter {
        text: text.map(str::to_owned),
        kind,
        confidentiality: kind.map(|_| "2".to_owned()),
        owner_unit: kind.map(|_| r.unit_a),
        offset,
        limit: 50,
        ..AssetFilter::default()
    };
    let all = AssetVisibility::All;
    // Each page is the matches in name order from its offset, whichever way it was read.
    let listed = async |filter: AssetFilter, matches: std::ops::Range<i64>| {
        let (rows, total) = s
            .list_assets(&view(), &AssetVisibility::All, &filter)
            .await
            .unwrap();
        let expected: Vec<String> = matches
            .skip(filter.offset as usize)
            .take(50)
            .map(|i| format!("端末 {i:05}"))
            .collect();
        let names: Vec<String> = rows.into_iter().map(|r| r.name.to_string()).collect();
        assert_eq!(names, expected, "{filter:?}");
        (names.len(), total)
    };
    let count = async |filter: AssetFilter| listed(filter, 0..many).await;
    // The register as a whole is counted exactly, from its tallies.
    let (_, total) = s
        .list_assets(&view(), &all, &list(None, None, 0))
        .await
        .unwrap();
    assert_eq!((total.n, total.more), (many, false));
    // A text of two characters (the pair index on SQLite, a scan on PostgreSQL), one with a
    // trigram (counted from the index), and three filters.
    for (text, kind) in [
        (Some("端末"), None),
        (Some("端末 0"), None),
        (None, Some(AssetKind::Equipment)),
    ] {
        let what = format!("{text:?} {kind:?}");
        // The first page: counted to a thousand, and more said to match.
        let (shown, total) = count(list(text, kind, 0)).await;
        assert_eq!(
            (shown, total.n, total.more),
            (50, COUNT_AHEAD, true),
            "{what}"
        );
        // Within a thousand of the end, the count is whole again.
        let (shown, total) = count(list(text, kind, 200)).await;
        assert_eq!((shown, total.n, total.more), (50, many, false), "{what}");
        let (shown, total) = count(list(text, kind, many - 10)).await;
        assert_eq!((shown, total.n, total.more), (10, many, false), "{what}");
        // Past the end: no rows, and the count still whole.
        let (shown, total) = count(list(text, kind, many + 50)).await;
        assert_eq!((shown, total.n, total.more), (0, many, false), "{what}");
    }
    // Exactly a thousand matches past the page's start is still counted whole.
    for text in ["端末", "端末 0"] {
        let (_, total) = count(list(Some(text), None, 100)).await;
        assert_eq!((total.n, total.more), (many, false));
        let (_, total) = count(list(Some(text), None, 99)).await;
        assert_eq!((total.n, total.more), (99 + COUNT_AHEAD, true));
    }
    // A few matches among many candidates of the index: read from the index, counted whole.
    let (shown, total) = listed(list(Some("端末 0105"), None, 0), 1050..1060).await;
    assert_eq!((shown, total.n, total.more), (10, 10, false));
    // Many matches, all of them past a long stretch of the register in name order: the page
    // is still the first matches in order.
    let before: Vec<NewAsset> = (0..many)
        .map(|i| {
            new_asset(
                input(&format!("a-{i:05}"), AssetKind::Equipment, r.unit_b, None),
                "2",
            )
        })
        .collect();
    s.import_assets(&register(), before, &origin())
        .await
        .unwrap();
    let (shown, total) = count(list(Some("端末 0"), None, 0)).await;
    assert_eq!((shown, total.n, total.more), (50, COUNT_AHEAD, true));
    let (shown, total) = count(list(Some("端末 0"), None, 500)).await;
    assert_eq!((shown, total.n, total.more), (50, many, false));
}

/// A search whose text has one trigram far rarer than the others, and whose matches all come
/// after many other candidates of that trigram in name order: every page is still the matches
/// in order, whether the first candidates in order held it or every candidate was read, for
/// someone who sees everything and for someone from whom half the matches' details are hidden.
pub async fn searches_by_a_rare_trigram_page_in_order(fx: Fx) {
    let r = register_fixture(&fx).await;
    let s = fx.store();
    let many = 2 * COUNT_AHEAD + 200;
    let asset = |name: String, host: String, note: &str, class: &str| {
        let mut asset = input(&name, AssetKind::Equipment, r.unit_a, None);
        asset.hosts = vec![host];
        asset.note = note.to_owned();
        new_asset(asset, class)
    };
    // The matches ("z-…", imported last first, every other one at level 3); candidates of the
    // rare trigrams "h-x" and "-x9" that do not match, first in name order ("b-…"); and assets
    // that share every other trigram, more than a stretch of the name index holds ("m-…").
    let rows: Vec<NewAsset> = (0..many)
        .rev()
        .map(|i| {
            let class = if i % 2 == 0 { "2" } else { "3" };
            asset(
                format!("z-{i:05}"),
                format!("abcdefgh-x9{i:05}"),
                "ŋŋ",
                class,
            )
        })
        .chain((0..COUNT_AHEAD).map(|i| {
            let note = if i % 40 == 0 { "h-x9 ŋŋ" } else { "h-x9" };
            asset(format!("b-{i:05}"), format!("abcdefgh-1{i:05}"), note, "2")
        }))
        .chain(
            (0..2_500).map(|i| asset(format!("m-{i:05}"), format!("abcdefgh-0x{i:05}"), "", "2")),
        )
        .chain([asset("ͿAB 端末".into(), String::new(), "", "2")])
        .collect();
    s.import_assets(&register(), rows, &origin()).await.unwrap();
    // Someone of another unit: the hosts of the level-3 assets are hidden from them.
    let restricted = AssetVisibility::Some {
        units: vec![r.unit_b],
        orgs: vec![],
    };
    let page = async |who: &AssetVisibility, text: &str, offset: i64, limit: i64| {
        let filter = AssetFilter {
            text: Some(text.to_owned()),
            offset,
            limit,
            ..AssetFilter::default()
        };
        let (rows, total) = s.list_assets(&view(), who, &filter).await.unwrap();
        let names: Vec<String> = rows.into_iter().map(|r| r.name.to_string()).collect();
        (names, total.n, total.more)
    };
    let matches = |step: usize, from: i64, n: i64| -> Vec<String> {
        (0..many)
            .step_by(step)
            .skip(from as usize)
            .take(n as usize)
            .map(|i| format!("z-{i:05}"))
            .collect()
    };
    // Texts with rare trigrams, and texts of one or two characters (through the pair index),
    // whose matches come after the "b-…" and "m-…" assets in name order.
    for text in ["abcdefgh-x9", "ABCDEFGH-X9", "h-x90", "z-", "Z-", "z"] {
        for (who, step) in [(&AssetVisibility::All, 1), (&restricted, 2)] {
            let seen = many / step as i64;
            let what = format!("{text} {who:?}");
            // Pages of 50: for the trigrams, the first candidates in order are all "b-…", and
            // every candidate is read.
            assert_eq!(
                page(who, text, 0, 50).await,
                (matches(step, 0, 50), COUNT_AHEAD, true),
                "{what}"
            );
            // Pages of 60: the first candidates in order reach the matches, and hold the page;
            // the second page too, past a stretch of the name index that holds no match.
            assert_eq!(
                page(who, text, 0, 60).await,
                (matches(step, 0, 60), COUNT_AHEAD, true),
                "{what}"
            );
            assert_eq!(
                page(who, text, 60, 60).await,
                (matches(step, 60, 60), COUNT_AHEAD + 60, true),
                "{what}"
            );
            assert_eq!(
                page(who, text, seen - 30, 50).await,
                (matches(step, seen - 30, 50), seen, false),
                "{what}"
            );
        }
    }
    let all = AssetVisibility::All;
    // A text whose rare trigram finds only assets that do not hold it whole.
    assert_eq!(page(&all, "gh-x9x", 0, 50).await, (vec![], 0, false));
    assert_eq!(page(&all, "h-x9", 0, 50).await.1, COUNT_AHEAD);
    // A letter the index folds otherwise than Rust: found as written.
    assert_eq!(
        page(&all, "ͿAB", 0, 50).await,
        (vec!["ͿAB 端末".to_owned()], 1, false)
    );
    assert_eq!(page(&all, "端末", 0, 50).await.1, 1);
    assert_eq!(page(&all, "末", 0, 50).await.1, 1);
    // Matches spread thinly through the first stretch of the name index (every fortieth "b-…")
    // and then many ("z-…", by their notes): a longer stretch holds the first page.
    let thin: Vec<String> = (0..COUNT_AHEAD)
        .step_by(40)
        .map(|i| format!("b-{i:05}"))
        .collect();
    for (who, step) in [(&all, 1), (&restricted, 2)] {
        let expected: Vec<String> = thin
            .iter()
            .cloned()
            .chain(matches(step, 0, 60 - thin.len() as i64))
            .collect();
        assert_eq!(
            page(who, "ŋŋ", 0, 60).await,
            (expected, COUNT_AHEAD, true),
            "{who:?}"
        );
    }
}

pub async fn restricted_assets_are_hidden_and_their_reads_audited(fx: Fx) {
    let r = register_fixture(&fx).await;
    let s = fx.store();
    let secret = s
        .create_asset(
            &manage(),
            new_asset(
                input("人事給与データ", AssetKind::Information, r.unit_a, None),
                "3",
            ),
            &origin(),
        )
        .await
        .unwrap();
    let open = s
        .create_asset(
            &manage(),
            new_asset(input("庁内報", AssetKind::Information, r.unit_a, None), "1"),
            &origin(),
        )
        .await
        .unwrap();
    let place = s.asset_place(secret.id).await.unwrap().unwrap();
    assert_eq!(
        place,
        AssetPlace {
            asset: Some(secret.id),
            owner_unit: Some(r.unit_a),
            owner_org: Some(r.org),
            restricted: true,
            existence_visible: false,
        }
    );
    assert!(!s.asset_place(open.id).await.unwrap().unwrap().restricted);
    assert!(s.asset_place(AssetId(999_999)).await.unwrap().is_none());

    let filter = AssetFilter {
        limit: 50,
        ..AssetFilter::default()
    };
    let outsider = AssetVisibility::Some {
        units: vec![r.unit_b],
        orgs: vec![],
    };
    let (rows, total) = s.list_assets(&view(), &outsider, &filter).await.unwrap();
    assert_eq!(total.n, 1);
    assert_eq!(rows[0].id, open.id);
    let member = AssetVisibility::Some {
        units: vec![r.unit_a],
        orgs: vec![],
    };
    assert_eq!(
        s.list_assets(&view(), &member, &filter).await.unwrap().1.n,
        2
    );
    let officer = AssetVisibility::Some {
        units: vec![],
        orgs: vec![r.org],
    };
    let (rows, _) = s.list_assets(&view(), &officer, &filter).await.unwrap();
    assert!(rows.iter().all(|r| !r.detail_hidden));
    assert_eq!(rows.len(), 2);

    // A read of the restricted asset is recorded; a read of the open one is not.
    let before = fx.audit_len().await;
    s.asset(&detail(), secret.id, &origin()).await.unwrap();
    let record = fx.assert_one_record(before, "asset.read").await;
    assert_eq!(record.event.target_id, secret.id.to_string());
    assert_eq!(record.event.unit_id, Some(r.unit_a));
    let before = fx.audit_len().await;
    s.asset(&detail(), open.id, &origin()).await.unwrap();
    fx.assert_no_record(before, "reading an open asset").await;

    // With the split on, 3C assets are known to exist but hidden in detail.
    s.update_scale(
        &register(),
        Scales::mic_default(true).confidentiality,
        &origin(),
    )
    .await
    .unwrap();
    let c = s
        .create_asset(
            &manage(),
            new_asset(
                input("会議録（非公開）", AssetKind::Information, r.unit_a, None),
                "3C",
            ),
            &origin(),
        )
        .await
        .unwrap();
    let (rows, total) = s.list_assets(&view(), &outsider, &filter).await.unwrap();
    assert_eq!(total.n, 2, "the open asset and the 3C one");
    let listed = rows.iter().find(|row| row.id == c.id).unwrap();
    assert!(listed.detail_hidden);
    assert!(listed.segment_code.is_none());
    // Sorted by class, the unknown level comes first (the strictest reading), then 3C.
    let (rows, _) = s
        .list_assets(
            &view(),
            &AssetVisibility::All,
            &AssetFilter {
                sort: AssetSort::Class,
                ..filter.clone()
            },
        )
        .await
        .unwrap();
    let order: Vec<AssetId> = rows.iter().map(|r| r.id).collect();
    assert_eq!(order, [secret.id, c.id, open.id]);
    // The old 機密性3 has no level now: it is flagged and treated as restricted.
    let place = s.asset_place(secret.id).await.unwrap().unwrap();
    assert!(place.restricted && !place.existence_visible);
    let again = s
        .asset(&detail(), secret.id, &origin())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        again.flags,
        vec![Flag::UnknownLevel {
            dimension: Dimension::Confidentiality,
            code: "3".into()
        }]
    );
}

pub async fn segments_crud_and_reflagging(fx: Fx) {
    let r = register_fixture(&fx).await;
    let s = fx.store();
    let listed = s.list_segments(&view()).await.unwrap();
    let codes: Vec<&str> = listed.iter().map(|e| e.segment.code.as_str()).collect();
    assert_eq!(codes, ["INTERNET", "LGWAN", "MYNUMBER"]);
    assert_eq!(
        s.segment(&view(), r.lgwan.id).await.unwrap().unwrap(),
        r.lgwan
    );
    assert_conflict(
        s.create_segment(&register(), segment("LGWAN", "重複", ""), &origin())
            .await,
        Conflict::SegmentCodeTaken,
        "duplicate segment code",
    );

    let mut terminal = input(
        "窓口端末 01",
        AssetKind::Equipment,
        r.unit_a,
        Some(r.lgwan.id),
    );
    terminal.addresses = vec!["10.30.0.5".parse().unwrap()];
    let asset = s
        .create_asset(&manage(), new_asset(terminal, "2"), &origin())
        .await
        .unwrap();
    assert_eq!(asset.flags.len(), 1, "outside 10.10.0.0/16");

    let before = fx.audit_len().await;
    let widened = s
        .update_segment(
            &register(),
            r.lgwan.id,
            segment("LGWAN", "LGWAN接続系", "10.10.0.0/16, 10.30.0.0/16"),
            &origin(),
        )
        .await
        .unwrap();
    fx.assert_one_record(before, "segment.update").await;
    assert_eq!(widened.segment.ranges.len(), 2);
    let reread = s
        .asset(&detail(), asset.id, &origin())
        .await
        .unwrap()
        .unwrap();
    assert!(reread.flags.is_empty(), "re-flagged: {:?}", reread.flags);

    let before = fx.audit_len().await;
    assert_conflict(
        s.delete_segment(&register(), r.lgwan.id, &origin()).await,
        Conflict::SegmentInUse,
        "segment in use",
    );
    fx.assert_no_record(before, "refused delete").await;
    s.delete_segment(&register(), r.internet.id, &origin())
        .await
        .unwrap();
    fx.assert_one_record(before, "segment.delete").await;
    assert_eq!(s.list_segments(&view()).await.unwrap().len(), 2);
    assert!(matches!(
        s.delete_segment(&register(), r.internet.id, &origin())
            .await,
        Err(StoreError::NotFound)
    ));
}

/// A segment's code is what the levels name: changing it carries the new code into every level
/// in the same audited write, so assets of that segment are not flagged by the rename.
pub async fn renaming_a_segment_keeps_the_levels_that_allow_it(fx: Fx) {
    let r = register_fixture(&fx).await;
    let s = fx.store();
    let mut server = input(
        "住民記録サーバ",
        AssetKind::System,
        r.unit_a,
        Some(r.lgwan.id),
    );
    server.addresses = vec!["10.10.1.5".parse().unwrap()];
    let asset = s
        .create_asset(&manage(), new_asset(server, "3"), &origin())
        .await
        .unwrap();
    assert!(
        asset.flags.is_empty(),
        "allowed at first: {:?}",
        asset.flags
    );
    let flagged_before = s.asset_summary(&view()).await.unwrap().flagged;

    let before = fx.audit_len().await;
    s.update_segment(
        &register(),
        r.lgwan.id,
        segment("LGWAN2", "LGWAN接続系", "10.10.0.0/16"),
        &origin(),
    )
    .await
    .unwrap();
    fx.assert_one_record(before, "segment.update").await;
    let scales = s.scales().await.unwrap();
    for dimension in Dimension::ALL {
        assert!(
            !scales.get(dimension).names_segment(segment_codes::LGWAN),
            "old code left in {dimension:?}"
        );
    }
    let three = scales.confidentiality.level("3").unwrap();
    assert!(three.rules.allows_segment("LGWAN2"));
    assert!(three.rules.allows_segment(segment_codes::MYNUMBER));
    let reread = s
        .asset(&detail(), asset.id, &origin())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reread.segment_code.as_deref(), Some("LGWAN2"));
    assert!(
        reread.flags.is_empty(),
        "flagged by a rename: {:?}",
        reread.flags
    );
    assert_eq!(
        s.asset_summary(&view()).await.unwrap().flagged,
        flagged_before
    );
    let (flagged, _) = listed(
        &fx,
        AssetFilter {
            flagged_only: true,
            ..AssetFilter::default()
        },
    )
    .await;
    assert!(flagged.is_empty(), "listed as flagged: {flagged:?}");

    // A segment a level names cannot be deleted: a later segment of that code would inherit
    // the permission. Nothing is written when refused.
    let mynumber = s
        .list_segments(&view())
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.segment.code == segment_codes::MYNUMBER)
        .unwrap();
    let before = fx.audit_len().await;
    assert!(matches!(
        s.delete_segment(&register(), mynumber.id, &origin()).await,
        Err(StoreError::Conflict(Conflict::SegmentInRules))
    ));
    fx.assert_no_record(before, "refused delete").await;
    assert_eq!(s.list_segments(&view()).await.unwrap().len(), 3);
}

/// Regression: a segment update read the segment outside its write, so of two renames at once
/// the later recorded a before already replaced, and renamed in the levels a code they no longer
/// named, leaving them naming a code no segment has.
pub async fn a_segment_update_records_the_segment_it_replaced(fx: Fx) {
    const UPDATES: usize = 6;
    let r = register_fixture(&fx).await;
    let id = r.lgwan.id;
    let mut tasks = Vec::new();
    for i in 0..UPDATES {
        let fx = fx.clone();
        tasks.push(tokio::spawn(async move {
            fx.store()
                .update_segment(
                    &register(),
                    id,
                    segment(&format!("LGWAN{i}"), "LGWAN接続系", "10.10.0.0/16"),
                    &origin(),
                )
                .await
                .expect("update segment");
        }));
    }
    for task in tasks {
        task.await.expect("update task");
    }
    let s = fx.store();
    let last = assert_befores_chain(&fx, "segment.update", json(&r.lgwan), UPDATES).await;
    let now = s.segment(&view(), id).await.unwrap().unwrap();
    assert_eq!(last, json(&now), "the last after is the segment as stored");
    let scales = s.scales().await.unwrap();
    assert!(
        scales
            .confidentiality
            .level("3")
            .unwrap()
            .rules
            .allows_segment(&now.segment.code),
        "the levels follow the segment to its last code"
    );
    for dimension in Dimension::ALL {
        for code in (0..UPDATES)
            .map(|i| format!("LGWAN{i}"))
            .chain([segment_codes::LGWAN.to_owned()])
            .filter(|c| *c != now.segment.code)
        {
            assert!(
                !scales.get(dimension).names_segment(&code),
                "{dimension:?} still names {code}, which no segment has"
            );
        }
    }
    assert_eq!(fx.verify().await.result, Ok(()));
}

pub async fn scales_are_validated_and_stored(fx: Fx) {
    let r = register_fixture(&fx).await;
    let s = fx.store();
    assert_eq!(s.scales().await.unwrap(), Scales::mic_default(false));
    let mut bad = Scales::mic_default(false).integrity;
    bad.levels[1].code = "2".into();
    let before = fx.audit_len().await;
    assert_conflict(
        s.update_scale(&register(), bad, &origin()).await,
        Conflict::ScaleInvalid,
        "duplicate codes",
    );
    fx.assert_no_record(before, "refused scale").await;

    let mut integrity = Scales::mic_default(false).integrity;
    integrity.levels[0].definition = "改ざんにより住民の権利が侵害されるもの".into();
    integrity.levels[0].rules.allowed_segments = vec!["MYNUMBER".into()];
    let asset = s
        .create_asset(
            &manage(),
            new_asset(
                input(
                    "財務会計システム",
                    AssetKind::System,
                    r.unit_b,
                    Some(r.lgwan.id),
                ),
                "2",
            ),
            &origin(),
        )
        .await
        .unwrap();
    assert!(asset.flags.is_empty());
    let before = fx.audit_len().await;
    let scales = s
        .update_scale(&register(), integrity.clone(), &origin())
        .await
        .unwrap();
    fx.assert_one_record(before, "classification.update").await;
    assert_eq!(scales.integrity, integrity);
    assert_eq!(s.scales().await.unwrap().integrity, integrity);
    let reread = s
        .asset(&detail(), asset.id, &origin())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        reread.flags,
        vec![Flag::SegmentForbidden {
            segment: "LGWAN".into(),
            level: "完全性2".into()
        }]
    );
}

pub async fn import_is_all_or_nothing(fx: Fx) {
    let r = register_fixture(&fx).await;
    let s = fx.store();
    let rows: Vec<NewAsset> = (0..25)
        .map(|i| {
            new_asset(
                input(
                    &format!("端末 {i:03}"),
                    AssetKind::Equipment,
                    if i % 2 == 0 { r.unit_a } else { r.unit_b },
                    Some(r.lgwan.id),
                ),
                "2",
            )
        })
        .collect();
    let before = fx.audit_len().await;
    let ids = s
        .import_assets(&register(), rows.clone(), &origin())
        .await
        .unwrap();
    assert_eq!(ids.len(), 25);
    let record = fx.assert_one_record(before, "asset.import").await;
    assert_eq!(record.event.detail["count"], 25);

    let mut broken = rows.clone();
    broken[20].input.owner_unit = UnitId(999);
    let before = fx.audit_len().await;
    assert_conflict(
        s.import_assets(&register(), broken, &origin()).await,
        Conflict::AssetUnitMissing,
        "a row with an unknown unit",
    );
    let mut unknown_level = rows;
    unknown_level[3].classification.confidentiality = "極秘".into();
    assert_conflict(
        s.import_assets(&register(), unknown_level, &origin()).await,
        Conflict::AssetUnknownLevel,
        "a row with an unknown level",
    );
    fx.assert_no_record(before, "refused imports").await;
    assert_eq!(fx.raw_count("SELECT COUNT(*) FROM assets").await, 25);
}

pub async fn import_updates_by_id_and_creates_the_rest(fx: Fx) {
    let r = register_fixture(&fx).await;
    let s = fx.store();
    let first = s
        .create_asset(
            &manage(),
            new_asset(input("庁内LAN", AssetKind::Network, r.unit_a, None), "2"),
            &origin(),
        )
        .await
        .unwrap();
    let second = s
        .create_asset(
            &manage(),
            new_asset(input("例規集", AssetKind::Document, r.unit_b, None), "1"),
            &origin(),
        )
        .await
        .unwrap();
    let as_row = |a: &mamori_store::Asset| ImportRow {
        id: Some(a.id),
        asset: NewAsset {
            input: AssetInput {
                kind: a.kind,
                name: name(&a.name),
                owner_unit: a.owner_unit_id,
                administrator: a.administrator_id,
                location: a.location.clone(),
                segment: a.segment_id,
                hosts: a.hosts.clone(),
                addresses: a.addresses.clone(),
                lifecycle: a.lifecycle,
                note: a.note.clone(),
            },
            classification: a.classification.clone(),
            disposal: a.disposal.clone(),
        },
    };

    // The register as it is: nothing changes, one record all the same.
    let before = fx.audit_len().await;
    let outcome = s
        .import_assets_upsert(
            &register(),
            vec![as_row(&first), as_row(&second)],
            &origin(),
        )
        .await
        .unwrap();
    assert!(outcome.created.is_empty() && outcome.updated.is_empty());
    assert_eq!(outcome.unchanged, [first.id, second.id]);
    fx.assert_one_record(before, "asset.import").await;
    let again = s
        .asset(&detail(), first.id, &origin())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again, first, "an unchanged row leaves the asset untouched");

    // One row reclassifies, moves and disposes the first asset; one row is new.
    let mut changed = as_row(&first);
    changed.asset.input.segment = Some(r.lgwan.id);
    changed.asset.input.addresses = vec!["10.10.1.1".parse().unwrap()];
    changed.asset.classification = class("3", "2", "1");
    changed.asset.input.lifecycle = Lifecycle::Disposed;
    changed.asset.disposal = Some(Disposal {
        method: "物理破壊".into(),
        by: "情報 花子".into(),
        at_ms: 1_790_000_000_000,
    });
    let fresh = ImportRow {
        id: None,
        asset: new_asset(input("新規端末", AssetKind::Equipment, r.unit_b, None), "1"),
    };
    let before = fx.audit_len().await;
    let outcome = s
        .import_assets_upsert(
            &register(),
            vec![changed.clone(), as_row(&second), fresh],
            &origin(),
        )
        .await
        .unwrap();
    assert_eq!(outcome.updated, [first.id]);
    assert_eq!(outcome.unchanged, [second.id]);
    assert_eq!(outcome.created.len(), 1);
    let record = fx.assert_one_record(before, "asset.import").await;
    assert_eq!(record.event.detail["created"], 1);
    let updated = s
        .asset(&detail(), first.id, &origin())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.segment_id, Some(r.lgwan.id));
    assert_eq!(updated.classification, class("3", "2", "1"));
    assert_eq!(updated.lifecycle, Lifecycle::Disposed);
    assert_eq!(updated.disposal, changed.asset.disposal);
    assert_eq!(as_row(&updated), changed, "the row reads back as written");
    assert_eq!(fx.raw_count("SELECT COUNT(*) FROM assets").await, 3);

    // All or nothing: an unknown id, an id twice or a bad level in the last row change nothing.
    let count = fx.raw_count("SELECT COUNT(*) FROM assets").await;
    let before = fx.audit_len().await;
    let mut renamed = as_row(&second);
    renamed.asset.input.name = name("例規集（改訂）");
    let new_row = || ImportRow {
        id: None,
        asset: new_asset(input("追加", AssetKind::Media, r.unit_a, None), "1"),
    };
    let mut missing = as_row(&second);
    missing.id = Some(AssetId(999_999));
    assert_not_found(
        s.import_assets_upsert(
            &register(),
            vec![renamed.clone(), new_row(), missing],
            &origin(),
        )
        .await,
        "an id that is not registered",
    );
    assert_conflict(
        s.import_assets_upsert(
            &register(),
            vec![renamed.clone(), new_row(), renamed.clone()],
            &origin(),
        )
        .await,
        Conflict::AssetImportDuplicateId,
        "an id named twice",
    );
    let mut bad_level = as_row(&updated);
    bad_level.asset.classification.confidentiality = "極秘".into();
    assert_conflict(
        s.import_assets_upsert(&register(), vec![renamed, new_row(), bad_level], &origin())
            .await,
        Conflict::AssetUnknownLevel,
        "an unknown level",
    );
    fx.assert_no_record(before, "refused imports").await;
    assert_eq!(fx.raw_count("SELECT COUNT(*) FROM assets").await, count);
    let kept = s
        .asset(&detail(), second.id, &origin())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.name, "例規集");

    // The whole register, by id; the export is audited, the comparison read is not.
    let before = fx.audit_len().await;
    let all = s.all_assets(&register()).await.unwrap();
    fx.assert_no_record(before, "reading the register for an import")
        .await;
    let exported = s.export_assets(&register(), &origin()).await.unwrap();
    assert_eq!(all, exported);
    assert_eq!(exported.len(), 3);
    assert!(exported.windows(2).all(|w| w[0].id.0 < w[1].id.0));
    assert_eq!(exported[0], updated);
    let record = fx.assert_one_record(before, "asset.export").await;
    assert_eq!(record.event.detail["count"], 3);
}

pub async fn summary_counts_in_sql(fx: Fx) {
    let r = register_fixture(&fx).await;
    let s = fx.store();
    let empty = s.asset_summary(&view()).await.unwrap();
    assert_eq!((empty.total, empty.flagged), (0, 0));
    for (title, unit, segment, c) in [
        ("A", r.unit_a, Some(r.lgwan.id), "3"),
        ("B", r.unit_a, Some(r.internet.id), "3"),
        ("C", r.unit_b, Some(r.internet.id), "1"),
        ("D", r.unit_b, None, "2"),
        ("E", r.unit_b, None, "1"),
    ] {
        s.create_asset(
            &manage(),
            new_asset(input(title, AssetKind::System, unit, segment), c),
            &origin(),
        )
        .await
        .unwrap();
    }
    let summary = s.asset_summary(&view()).await.unwrap();
    assert_eq!(summary.total, 5);
    assert_eq!(summary.flagged, 1);
    let conf: Vec<(&str, &str, i64)> = summary
        .by_confidentiality
        .iter()
        .map(|c| (c.key.as_str(), c.label.as_str(), c.count))
        .collect();
    assert_eq!(
        conf,
        [
            ("3", "機密性3", 2),
            ("2", "機密性2", 1),
            ("1", "機密性1", 2)
        ]
    );
    let seg: Vec<(&str, i64)> = summary
        .by_segment
        .iter()
        .map(|c| (c.key.as_str(), c.count))
        .collect();
    assert_eq!(seg, [("", 2), ("INTERNET", 2), ("LGWAN", 1)]);
    let units: Vec<(&str, i64)> = summary
        .by_owner_unit
        .iter()
        .map(|c| (c.label.as_str(), c.count))
        .collect();
    assert_eq!(units, [("情報政策課", 3), ("総務課", 2)]);
}

/// What the register's text search has always matched: `query` anywhere in the name, location,
/// host names, addresses or notes, ASCII letters in either case, everything else as it is.
fn old_like_matches(asset: &mamori_store::Asset, query: &str) -> bool {
    let query = query.trim().to_ascii_lowercase();
    let hosts = asset.hosts.join("\n");
    let addresses = asset
        .addresses
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    [
        asset.name.as_str(),
        &asset.location,
        &hosts,
        &addresses,
        &asset.note,
    ]
    .iter()
    .any(|field| field.to_ascii_lowercase().contains(&query))
}

async fn searched(fx: &Fx, query: &str) -> (Vec<AssetId>, i64) {
    let (rows, total) = fx
        .store()
        .list_assets(
            &view(),
            &AssetVisibility::All,
            &AssetFilter {
                text: Some(query.to_owned()),
                limit: 500,
                ..AssetFilter::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("search for {query:?}: {e}"));
    let mut ids: Vec<AssetId> = rows.into_iter().map(|r| r.id).collect();
    ids.sort_by_key(|id| id.0);
    assert!(!total.more, "a few assets are counted whole");
    (ids, total.n)
}

/// Every query finds exactly what the old `LIKE` over the whole register found.
async fn assert_search_as_before(fx: &Fx, queries: &[String]) {
    let all = fx.store().all_assets(&register()).await.unwrap();
    for query in queries {
        let expected: Vec<AssetId> = all
            .iter()
            .filter(|a| !query.trim().is_empty() && old_like_matches(a, query))
            .map(|a| a.id)
            .collect();
        let (found, total) = searched(fx, query).await;
        let shown: String = query.chars().take(40).collect();
        if query.trim().is_empty() {
            let (_, unfiltered) = listed(fx, AssetFilter::default()).await;
            assert_eq!(total, unfiltered, "an empty query filters nothing");
            assert_eq!(found.len(), all.len().min(500));
            continue;
        }
        assert_eq!(found, expected, "search for {shown:?}");
        assert_eq!(total, expected.len() as i64, "count for {shown:?}");
    }
    if fx.store().backend() == mamori_store::Backend::Sqlite {
        // The trigram index holds exactly the register's text.
        fx.raw_execute(
            "INSERT INTO assets_search (assets_search, rank) VALUES ('integrity-check', 1)",
        )
        .await;
        fx.raw_execute("INSERT INTO assets_pairs (assets_pairs) VALUES ('integrity-check')")
            .await;
    }
}

fn search_queries() -> Vec<String> {
    let mut queries: Vec<String> = [
        "jumin-db",
        "JUMIN-DB01",
        "Jumin",
        "db0",
        "DB",
        "d",
        "ｗｅｂ",
        "Ｗｅｂ",
        "ＷＥＢ",
        "ＬＡＮ",
        "web",
        "WEB",
        "サーバ",
        "サーバ室",
        "住民",
        "台",
        "100%_",
        "%",
        "_",
        "%_",
        "\\",
        "\\\\",
        "a\\b",
        "'",
        "\"",
        "\"quoted\"",
        "'single'",
        "\"\"",
        "*",
        "star*",
        "OR",
        "host OR jumin",
        "NEAR(",
        "NEAR(A, B)",
        "AND NOT",
        "col:name",
        "{a b}",
        "^start",
        "-host",
        "+",
        "σερβερ",
        "ΣΕΡΒΕΡ",
        "Ελληνικά",
        "host09",
        "host0900",
        "HOST090001",
        "10.10.3",
        "172.16.0.5",
        "::1",
        "jumin-db01\njumin-db02",
        "db01\nJUMIN",
        "no such thing",
        "nul\0byte",
        "\0",
        "   ",
        "  jumin  ",
        "割引 \\ back",
        "）",
        "(全角)",
        "🙂",
        // One or two characters: the pair index, each column's last character included.
        "ΣΕ",
        "σε",
        "ｗｅ",
        "ＷＥ",
        "Ｗ",
        "dB",
        "Db",
        "9",
        "c",
        "X",
        "1.",
        "階",
        "室",
        "庁舎",
        "窓口",
        "-h",
        "::",
        ":",
        "*",
        "\"*",
        "*\"",
        "𠮷",
        "尾𠮷",
        "e\u{301}",
        "\u{301}",
        "ǅ",
        "Ǆ",
        "İ",
        "i̇",
        "ͿA",
        "Ϳ",
        "ϳ",
        "\u{3000}x",
        "x\u{3000}",
        "\t",
        "a\0",
    ]
    .iter()
    .map(|q| (*q).to_owned())
    .collect();
    // Very long queries: longer than any field, and longer than a LIKE pattern may be.
    queries.push("host".repeat(3_000));
    queries.push("x".repeat(60_000));
    queries.push(format!("{}%", "ア".repeat(20_000)));
    queries
}

pub async fn text_search_finds_what_like_found(fx: Fx) {
    let r = register_fixture(&fx).await;
    let s = fx.store();
    // Name, location, host names, addresses, note.
    type Texts = (
        &'static str,
        &'static str,
        &'static [&'static str],
        &'static [&'static str],
        &'static str,
    );
    let specials: [Texts; 10] = [
        (
            "住民記録システム DBサーバ",
            "本庁舎3階サーバ室",
            &["JUMIN-DB01", "jumin-db02"],
            &["10.10.3.10", "::1"],
            "Oracle Database 19c",
        ),
        (
            "公開Webサーバ",
            "DMZ ラック2",
            &["www.city.example.lg.jp"],
            &["172.16.0.5"],
            "50%_割引 \\ backslash a\\b",
        ),
        (
            "課税台帳 100%_版",
            "書庫",
            &[],
            &[],
            "引用 \"quoted\" and 'single' * star* +",
        ),
        ("ＬＡＮ配線図(全角)", "（別館）", &[], &[], "Ｗｅｂ ｗｅｂ"),
        ("Ελληνικά ΣΕΡΒΕΡ", "", &[], &[], "🙂"),
        (
            "NEAR(A, B) OR host AND NOT x",
            "",
            &[],
            &[],
            "col:name {a b} ^start -host",
        ),
        (
            "端末 host090001",
            "窓口",
            &["host090001", "host090002"],
            &[],
            "",
        ),
        ("Nul 対策", "", &[], &[], "nul byte"),
        (
            "X",
            "c",
            &[],
            &[],
            "末尾𠮷 ǅ İ ͿA e\u{301} 全角\u{3000}x \u{212A}elvin ſ",
        ),
        ("長い備考", "", &[], &[], LONG_NOTE),
    ];
    for (title, location, hosts, addresses, note) in specials {
        let mut asset = input(title, AssetKind::Equipment, r.unit_a, None);
        asset.location = location.into();
        asset.hosts = hosts.iter().map(|h| (*h).to_owned()).collect();
        asset.addresses = addresses.iter().map(|a| a.parse().unwrap()).collect();
        asset.note = note.into();
        s.create_asset(&manage(), new_asset(asset, "2"), &origin())
            .await
            .unwrap();
    }
    let generated: Vec<NewAsset> = (0..40)
        .map(|i| {
            let mut asset = input(
                &format!("端末 {i:03}"),
                AssetKind::Equipment,
                r.unit_b,
                Some(r.lgwan.id),
            );
            asset.hosts = vec![format!("host{:06}", 89_990 + i)];
            asset.addresses = vec![format!("10.10.{}.{}", i / 10, i % 10 + 1).parse().unwrap()];
            new_asset(asset, "1")
        })
        .collect();
    s.import_assets(&register(), generated, &origin())
        .await
        .unwrap();
    // Notes of distinct characters of one to four bytes, longer than the pair index's stretches
    // of 256 bytes, whose ends fall inside characters of two, three and four bytes.
    for shift in 0..2 {
        let mut asset = input(
            &format!("長い備考 {shift}"),
            AssetKind::Information,
            r.unit_a,
            None,
        );
        asset.note = stretched_note(shift);
        s.create_asset(&manage(), new_asset(asset, "2"), &origin())
            .await
            .unwrap();
    }
    let queries = search_queries();
    assert_search_as_before(&fx, &queries).await;
    // Every piece of one or two characters of the register's text, the long notes' included.
    let pieces = short_pieces(&s.all_assets(&register()).await.unwrap());
    assert!(pieces.len() > 1_300, "{}", pieces.len());
    assert_search_as_before(&fx, &pieces).await;

    // The cases that show what matching is, on both databases alike.
    let count = |q: &'static str| {
        let fx = fx.clone();
        async move { searched(&fx, q).await.1 }
    };
    assert_eq!(count("jumin-db").await, 1, "ASCII letters in either case");
    assert_eq!(count("JUMIN-DB02").await, 1);
    assert_eq!(
        count("host09").await,
        31,
        "host090000…host090029 and the terminal named host090001"
    );
    assert_eq!(count("ｗｅｂ").await, 1);
    assert_eq!(
        count("ＷＥＢ").await,
        0,
        "full-width letters are not folded"
    );
    assert_eq!(count("σερβερ").await, 0, "only ASCII letters are folded");
    // The pair index folds the Kelvin sign and the long s to "k" and "s"; LIKE does not.
    assert_eq!(count("\u{212A}").await, 2);
    assert_eq!(count("ſ").await, 2);
    assert_eq!(count("\u{212A}e").await, 1);
    assert_eq!(count("100%_").await, 1, "wildcards are literal");
    assert_eq!(count("%").await, 2);
    assert_eq!(count("NEAR(A, B)").await, 1, "FTS syntax is literal");
    assert_eq!(count("\"quoted\"").await, 1);
    assert_eq!(count("nul\0byte").await, 0);
    assert_eq!(
        count("jumin-db01\njumin-db02").await,
        1,
        "across host lines"
    );
    assert_eq!(count("dbサーバ").await, 1);

    // After every kind of change the index follows the register.
    let all = s.all_assets(&register()).await.unwrap();
    let first = all.iter().find(|a| a.name.starts_with("住民記録")).unwrap();
    let mut renamed = input("戸籍システム DBサーバ", AssetKind::System, r.unit_b, None);
    renamed.hosts = vec!["KOSEKI-DB01".into()];
    renamed.note = "移行済み".into();
    s.update_asset(&manage(), first.id, renamed.clone(), &origin())
        .await
        .unwrap();
    assert_eq!(count("jumin").await, 0, "the old host names are gone");
    assert_eq!(count("住民").await, 0, "and the old name");
    assert_eq!(count("戸籍").await, 1);
    // The location alone, then the addresses alone.
    let before = count("別館").await;
    renamed.location = "別館1階".into();
    s.update_asset(&manage(), first.id, renamed.clone(), &origin())
        .await
        .unwrap();
    assert_eq!(count("別館").await, before + 1);
    assert_eq!(count("1階").await, 1);
    renamed.addresses = vec!["192.0.2.77".parse().unwrap()];
    s.update_asset(&manage(), first.id, renamed, &origin())
        .await
        .unwrap();
    assert_eq!(count("77").await, 1);
    assert_eq!(count("koseki-db").await, 1);
    s.dispose_asset(
        &manage(),
        first.id,
        Disposal {
            method: "データ消去".into(),
            by: "情報政策課".into(),
            at_ms: fx.now(),
        },
        &origin(),
    )
    .await
    .unwrap();
    assert_eq!(
        count("koseki-db").await,
        1,
        "a disposed asset is still found"
    );
    s.reclassify_asset(
        &manage(),
        first.id,
        class("3", "2", "2"),
        "再評価",
        &origin(),
    )
    .await
    .unwrap();
    let second = all.iter().find(|a| a.name == "公開Webサーバ").unwrap();
    let mut row = ImportRow {
        id: Some(second.id),
        asset: new_asset(
            input("公開Webサーバ", AssetKind::Equipment, r.unit_a, None),
            "1",
        ),
    };
    row.asset.input.note = "CMS 更新予定".into();
    let fresh = ImportRow {
        id: None,
        asset: new_asset(
            input("新規 Host099999", AssetKind::Equipment, r.unit_a, None),
            "1",
        ),
    };
    s.import_assets_upsert(&register(), vec![row, fresh], &origin())
        .await
        .unwrap();
    assert_eq!(count("cms 更新").await, 1);
    assert_eq!(count("50%_割引").await, 0, "the old note is gone");
    assert_eq!(count("host09").await, 32, "Host099999 in a name");
    // A row removed from the table leaves the index too.
    let gone = all.iter().find(|a| a.name == "端末 host090001").unwrap();
    assert_eq!(count("端末 host0900").await, 1);
    assert_eq!(count("窓口").await, 1);
    assert_eq!(count("窓").await, 1);
    fx.raw_execute(&format!("DELETE FROM assets WHERE id = {}", gone.id.0))
        .await;
    assert_eq!(count("端末 host0900").await, 0);
    assert_eq!(count("窓口").await, 0);
    assert_eq!(count("窓").await, 0);
    assert_search_as_before(&fx, &queries).await;
    let pieces = short_pieces(&s.all_assets(&register()).await.unwrap());
    assert_search_as_before(&fx, &pieces).await;
}

/// 400 characters (after `shift` tildes) cycling through one, two, three and four bytes of UTF-8,
/// every pair of them in no other asset's text but the other such note's: the ends of the pair index's stretches (bytes 256, 512
/// and 768) fall inside a two-byte and a four-byte character with no shift, and inside a
/// three-byte one with a shift of one.
fn stretched_note(shift: usize) -> String {
    let ascii = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut note = "~".repeat(shift);
    for k in 0..400u32 {
        let c = match k % 4 {
            0 => char::from(ascii[(k / 4) as usize % ascii.len()]),
            1 => char::from_u32(0xC0 + k / 4).unwrap(),
            2 => char::from_u32(0x3400 + k).unwrap(),
            _ => char::from_u32(0x2_0000 + k).unwrap(),
        };
        note.push(c);
    }
    note
}

/// A note longer than the pair index's stretches of 256 bytes.
const LONG_NOTE: &str = "移行計画: 2026年度に基幹システムを更改。𠮷野家 ab é 課長承認済み。\
    データ移行は 3 段階: 抽出 → 変換 → 投入。各段階の検証は情報政策課が行う。\
    ｗｅ画面の確認は受付担当、帳票は総務課。🙂 終了後に旧機器をデータ消去して廃棄する。\
    ΣΕΡ σερ ΚΕΛΒΙΝ \u{212A} ſ ǆ Ǆ 最後の一文字は鷗";

/// Every distinct text of one or two characters in the searched fields of `assets`.
fn short_pieces(assets: &[mamori_store::Asset]) -> Vec<String> {
    let mut pieces = std::collections::BTreeSet::new();
    for asset in assets {
        let fields = [
            asset.name.to_string(),
            asset.location.clone(),
            asset.hosts.join("\n"),
            asset
                .addresses
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
            asset.note.clone(),
        ];
        for field in fields {
            let chars: Vec<char> = field.chars().collect();
            for (i, c) in chars.iter().enumerate() {
                pieces.insert(c.to_string());
                if let Some(next) = chars.get(i + 1) {
                    pieces.insert(format!("{c}{next}"));
                }
            }
        }
    }
    pieces.into_iter().collect()
}

/// `(key, count)` rows of a counting query.
async fn grouped(
    conn: &mut sqlx::AnyConnection,
    sql: &str,
) -> std::collections::BTreeMap<String, i64> {
    sqlx::query(sql)
        .fetch_all(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|row| {
            (
                sqlx::Row::try_get::<String, _>(row, 0).unwrap(),
                sqlx::Row::try_get::<i64, _>(row, 1).unwrap(),
            )
        })
        .collect()
}

/// The summary, every tally and the totals of lists with one filter or two, against a count of
/// the register itself.
async fn assert_summary_is_a_recount(fx: &Fx, when: &str) {
    use std::collections::BTreeMap;
    let s = fx.store();
    let summary = s.asset_summary(&view()).await.unwrap();
    let mut conn = fx.raw().await;
    let totals = grouped(
        &mut conn,
        "SELECT 'total', COUNT(*) FROM assets UNION ALL \
         SELECT 'flagged', COUNT(*) FROM assets WHERE flagged = 1",
    )
    .await;
    let levels = grouped(
        &mut conn,
        "SELECT confidentiality, COUNT(*) FROM assets GROUP BY confidentiality",
    )
    .await;
    let segments = grouped(
        &mut conn,
        "SELECT COALESCE(s.code, ''), COUNT(*) FROM assets a \
         LEFT JOIN segments s ON s.id = a.segment_id GROUP BY s.code",
    )
    .await;
    let units = grouped(
        &mut conn,
        "SELECT CAST(owner_unit_id AS TEXT), COUNT(*) FROM assets GROUP BY owner_unit_id",
    )
    .await;
    // Every tally, single facets and pairs, against the register grouped afresh.
    let recounted = grouped(
        &mut conn,
        "WITH f (id, facet, code) AS ( \
             SELECT id, 'availability', availability FROM assets \
             UNION ALL SELECT id, 'confidentiality', confidentiality FROM assets \
             UNION ALL SELECT id, 'flagged', '' FROM assets WHERE flagged = 1 \
             UNION ALL SELECT id, 'integrity', integrity FROM assets \
             UNION ALL SELECT id, 'kind', kind FROM assets \
             UNION ALL SELECT id, 'lifecycle', lifecycle FROM assets \
             UNION ALL SELECT id, 'segment', COALESCE(CAST(segment_id AS TEXT), '') FROM assets \
             UNION ALL SELECT id, 'unit', CAST(owner_unit_id AS TEXT) FROM assets) \
         SELECT 'total ', COUNT(*) FROM assets HAVING COUNT(*) > 0 \
         UNION ALL SELECT facet || ' ' || code, COUNT(*) FROM f GROUP BY facet, code \
         UNION ALL SELECT a.facet || '+' || b.facet || ' ' || a.code || '/' || b.code, COUNT(*) \
         FROM f a JOIN f b ON b.id = a.id AND b.facet > a.facet \
         GROUP BY a.facet, b.facet, a.code, b.code",
    )
    .await;
    let tallies = grouped(
        &mut conn,
        "SELECT facet || ' ' || code, n FROM asset_tallies WHERE n <> 0",
    )
    .await;
    assert_eq!(tallies, recounted, "tallies {when}");
    let kinds = grouped(&mut conn, "SELECT kind, COUNT(*) FROM assets GROUP BY kind").await;
    sqlx::Connection::close(conn).await.unwrap();
    let map = |counts: &[mamori_store::SummaryCount]| {
        counts
            .iter()
            .map(|c| (c.key.clone(), c.count))
            .collect::<BTreeMap<String, i64>>()
    };
    assert_eq!(summary.total, totals["total"], "total {when}");
    assert_eq!(summary.flagged, totals["flagged"], "flagged {when}");
    assert_eq!(map(&summary.by_confidentiality), levels, "levels {when}");
    assert_eq!(map(&summary.by_segment), segments, "segments {when}");
    assert_eq!(map(&summary.by_owner_unit), units, "units {when}");
    assert!(
        summary
            .by_segment
            .windows(2)
            .all(|w| w[0].count >= w[1].count)
    );
    assert!(
        summary
            .by_owner_unit
            .windows(2)
            .all(|w| w[0].count >= w[1].count)
    );

    // A list's total read from the counts is the number of rows the list has.
    let segment_ids: Vec<SegmentId> = s
        .list_segments(&view())
        .await
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    let mut filters = vec![
        AssetFilter::default(),
        AssetFilter {
            flagged_only: true,
            ..AssetFilter::default()
        },
    ];
    for code in levels.keys().chain(["9".to_owned()].iter()) {
        filters.push(AssetFilter {
            confidentiality: Some(code.clone()),
            ..AssetFilter::default()
        });
    }
    for id in segment_ids {
        filters.push(AssetFilter {
            segment: Some(id),
            ..AssetFilter::default()
        });
    }
    for unit in units.keys() {
        filters.push(AssetFilter {
            owner_unit: Some(UnitId(unit.parse().unwrap())),
            ..AssetFilter::default()
        });
    }
    // One filter or two on any facet, read from the tallies.
    for kind in kinds.keys().map(|k| AssetKind::parse(k).unwrap()) {
        for lifecycle in [Lifecycle::InUse, Lifecycle::Disposed] {
            filters.push(AssetFilter {
                kind: Some(kind),
                lifecycle: Some(lifecycle),
                ..AssetFilter::default()
            });
        }
        for code in levels.keys() {
            filters.push(AssetFilter {
                kind: Some(kind),
                confidentiality: Some(code.clone()),
                ..AssetFilter::default()
            });
            filters.push(AssetFilter {
                integrity: Some(code.clone()),
                flagged_only: true,
                ..AssetFilter::default()
            });
        }
        for unit in units.keys() {
            filters.push(AssetFilter {
                kind: Some(kind),
                owner_unit: Some(UnitId(unit.parse().unwrap())),
                ..AssetFilter::default()
            });
        }
    }
    for filter in filters {
        let (rows, total) = s
            .list_assets(
                &view(),
                &AssetVisibility::All,
                &AssetFilter {
                    limit: 500,
                    ..filter.clone()
                },
            )
            .await
            .unwrap();
        assert_eq!(total.n, rows.len() as i64, "{filter:?} {when}");
    }
}

pub async fn summary_counts_follow_every_change(fx: Fx) {
    let r = register_fixture(&fx).await;
    let s = fx.store();
    let mynumber = s.list_segments(&view()).await.unwrap()[2].id;
    let segments = [Some(r.lgwan.id), Some(r.internet.id), Some(mynumber), None];
    let levels = ["1", "2", "3"];
    assert_summary_is_a_recount(&fx, "when empty").await;
    let mut ids = Vec::new();
    for i in 0..36 {
        let mut asset = input(
            &format!("資産 {i:02}"),
            AssetKind::System,
            if i % 3 == 0 { r.unit_a } else { r.unit_b },
            segments[i % 4],
        );
        // Some addresses outside their segment, so that some assets are flagged.
        if i % 5 == 0 {
            asset.addresses = vec!["192.0.2.1".parse().unwrap()];
        }
        let created = s
            .create_asset(&manage(), new_asset(asset, levels[i % 3]), &origin())
            .await
            .unwrap();
        ids.push(created);
    }
    assert_summary_is_a_recount(&fx, "after creating").await;
    assert!(s.asset_summary(&view()).await.unwrap().flagged > 0);

    for (i, asset) in ids.iter().enumerate().filter(|(i, _)| i % 4 == 1) {
        let mut moved = input(
            &asset.name,
            asset.kind,
            if i % 2 == 0 { r.unit_b } else { r.unit_a },
            segments[(i + 1) % 4],
        );
        moved.addresses = if i % 3 == 0 {
            vec!["10.10.0.9".parse().unwrap()]
        } else {
            vec![]
        };
        s.update_asset(&manage(), asset.id, moved, &origin())
            .await
            .unwrap();
    }
    assert_summary_is_a_recount(&fx, "after updates").await;

    for (i, asset) in ids.iter().enumerate().filter(|(i, _)| i % 3 == 2) {
        s.reclassify_asset(
            &manage(),
            asset.id,
            class(levels[(i + 1) % 3], "1", "1"),
            "見直し",
            &origin(),
        )
        .await
        .unwrap();
    }
    assert_summary_is_a_recount(&fx, "after reclassifying").await;

    for asset in ids.iter().step_by(7) {
        s.dispose_asset(
            &manage(),
            asset.id,
            Disposal {
                method: "溶解".into(),
                by: "総務課".into(),
                at_ms: fx.now(),
            },
            &origin(),
        )
        .await
        .unwrap();
    }
    assert_summary_is_a_recount(&fx, "after disposals").await;

    let imported: Vec<NewAsset> = (0..30)
        .map(|i| {
            new_asset(
                input(
                    &format!("取込 {i:02}"),
                    AssetKind::Media,
                    if i % 2 == 0 { r.unit_a } else { r.unit_b },
                    segments[i % 4],
                ),
                levels[i % 3],
            )
        })
        .collect();
    s.import_assets(&register(), imported, &origin())
        .await
        .unwrap();
    assert_summary_is_a_recount(&fx, "after an import").await;

    // An import that changes some, leaves some and adds some; then one refused, changing nothing.
    let all = s.all_assets(&register()).await.unwrap();
    let mut rows: Vec<ImportRow> = all
        .iter()
        .take(20)
        .enumerate()
        .map(|(i, a)| {
            let mut asset = new_asset(
                input(
                    &a.name,
                    a.kind,
                    if i % 2 == 0 {
                        r.unit_b
                    } else {
                        a.owner_unit_id
                    },
                    segments[(i + 2) % 4],
                ),
                levels[(i + 2) % 3],
            );
            asset.input.addresses = a.addresses.clone();
            ImportRow {
                id: Some(a.id),
                asset,
            }
        })
        .collect();
    rows.push(ImportRow {
        id: None,
        asset: new_asset(input("追加分", AssetKind::Information, r.unit_a, None), "3"),
    });
    s.import_assets_upsert(&register(), rows.clone(), &origin())
        .await
        .unwrap();
    assert_summary_is_a_recount(&fx, "after an updating import").await;
    rows[5].asset.classification.confidentiality = "極秘".into();
    assert_conflict(
        s.import_assets_upsert(&register(), rows, &origin()).await,
        Conflict::AssetUnknownLevel,
        "an unknown level",
    );
    assert_summary_is_a_recount(&fx, "after a refused import").await;

    // Segment and scale changes re-flag assets without touching them one by one.
    s.update_segment(
        &register(),
        r.lgwan.id,
        segment("LGWAN", "LGWAN接続系", "10.10.0.0/16, 192.0.2.0/24"),
        &origin(),
    )
    .await
    .unwrap();
    assert_summary_is_a_recount(&fx, "after widening a segment").await;
    s.update_scale(
        &register(),
        Scales::mic_default(true).confidentiality,
        &origin(),
    )
    .await
    .unwrap();
    assert_summary_is_a_recount(&fx, "after switching to 3A/3B/3C").await;
    assert!(
        s.asset_summary(&view())
            .await
            .unwrap()
            .by_confidentiality
            .iter()
            .any(|c| c.key == "3" && c.label == "機密性3"),
        "a level no scale knows is still counted, under its code"
    );
    for asset in ids.iter().take(12) {
        s.reclassify_asset(
            &manage(),
            asset.id,
            class("3B", "2", "2"),
            "細分",
            &origin(),
        )
        .await
        .unwrap();
    }
    assert_summary_is_a_recount(&fx, "after reclassifying to 3B").await;
    // The split merged back into 3 and made again, and a level's segments narrowed: each moves
    // or re-flags assets.
    s.switch_split(&register(), false, "", &origin())
        .await
        .unwrap();
    assert_summary_is_a_recount(&fx, "after merging the split").await;
    s.switch_split(&register(), true, "3A", &origin())
        .await
        .unwrap();
    assert_summary_is_a_recount(&fx, "after splitting again").await;
    let level = s
        .scales()
        .await
        .unwrap()
        .confidentiality
        .level("2")
        .unwrap()
        .clone();
    s.update_level(
        &register(),
        Dimension::Confidentiality,
        "2",
        mamori_core::classification::LevelEdit {
            name: level.name.clone(),
            definition: level.definition.clone(),
            rules: mamori_core::classification::HandlingRules {
                allowed_segments: vec![segment_codes::LGWAN.to_owned()],
                ..level.rules.clone()
            },
        },
        &origin(),
    )
    .await
    .unwrap();
    assert_summary_is_a_recount(&fx, "after narrowing a level's segments").await;
    // Migration 27, on this register with only the tallies kept before it (the whole register,
    // flagged, confidentiality, segment, unit), counts every facet and pair as the writes did.
    let migration = match s.backend() {
        mamori_store::Backend::Sqlite => {
            include_str!("../../migrations/sqlite/0027_asset_tallies_pairs.sql")
        }
        mamori_store::Backend::Postgres => {
            include_str!("../../migrations/postgres/0027_asset_tallies_pairs.sql")
        }
    };
    let mut conn = fx.raw().await;
    sqlx::query(
        "DELETE FROM asset_tallies WHERE facet NOT IN \
         ('total', 'flagged', 'confidentiality', 'segment', 'unit')",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    for statement in migration.split(";\n").filter(|s| !s.trim().is_empty()) {
        sqlx::query(statement)
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    sqlx::Connection::close(conn).await.unwrap();
    assert_summary_is_a_recount(&fx, "after migration 27").await;
}

/// Records appended many at a time are chained and sealed as records appended one by one.
pub async fn record_all_extends_the_chain(fx: Fx) {
    let s = &fx.store;
    let trail = fx.store();
    let before = fx.audit_len().await;
    assert_eq!(s.record_all(Vec::new()).await.unwrap(), 0);
    fx.assert_no_record(before, "an empty batch").await;
    trail
        .record(mamori_core::audit::AuditEvent::new(
            "asset.read",
            "asset",
            1,
        ))
        .await
        .unwrap();
    let batch: Vec<_> = (0..250)
        .map(|i| {
            mamori_core::audit::AuditEvent::new("asset.read", "asset", i)
                .by(None, "bench")
                .with_detail(serde_json::json!({ "i": i }))
        })
        .collect();
    assert_eq!(s.record_all(batch).await.unwrap(), 250);
    assert_eq!(fx.audit_len().await, before + 251);
    let newest = fx.newest_record().await;
    assert_eq!(newest.event.detail["i"], 249);
    assert_eq!(newest.seq, before + 251);
    trail
        .record(mamori_core::audit::AuditEvent::new(
            "asset.read",
            "asset",
            2,
        ))
        .await
        .unwrap();
    let verified = fx.verify().await;
    assert_eq!(verified.result, Ok(()));
    assert_eq!(verified.checked, (before + 252) as u64);
}

/// A search or a filter matches only fields the caller may read: on a 3C asset (known to exist,
/// its details restricted) someone outside its unit finds it by its name and nothing else.
pub async fn search_and_filters_match_only_readable_fields(fx: Fx) {
    let r = register_fixture(&fx).await;
    let s = fx.store();
    s.update_scale(
        &register(),
        Scales::mic_default(true).confidentiality,
        &origin(),
    )
    .await
    .unwrap();
    let mut details = input(
        "議事録サーバ",
        AssetKind::Equipment,
        r.unit_a,
        Some(r.internet.id),
    );
    details.location = "別館地下書庫".into();
    details.hosts = vec!["gijiroku-srv".into()];
    details.addresses = vec!["10.20.30.40".parse().unwrap()];
    details.note = "鍵は総務課".into();
    let hidden = s
        .create_asset(&manage(), new_asset(details, "3C"), &origin())
        .await
        .unwrap();
    assert!(
        !s.asset(&detail(), hidden.id, &origin())
            .await
            .unwrap()
            .unwrap()
            .flags
            .is_empty(),
        "the 3C asset on the Internet segment is flagged"
    );
    let outsider = AssetVisibility::Some {
        units: vec![r.unit_b],
        orgs: vec![],
    };
    let member = AssetVisibility::Some {
        units: vec![r.unit_a],
        orgs: vec![],
    };
    let search = |text: &str| AssetFilter {
        limit: 50,
        text: Some(text.to_owned()),
        ..AssetFilter::default()
    };
    let ids = |rows: Vec<AssetRow>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
    // By its name, which the listing shows, everyone finds it.
    let (rows, total) = s
        .list_assets(&view(), &outsider, &search("議事録"))
        .await
        .unwrap();
    assert_eq!((ids(rows), total.n), (vec![hidden.id], 1));
    // By a hidden field, only who may read it; short texts (the pair index) and long ones
    // (the trigram index).
    for text in [
        "10.20.",
        "10",
        "1",
        "別館",
        "地下書庫",
        "gijiroku",
        "gi",
        "総務課",
        "鍵",
    ] {
        let (rows, total) = s
            .list_assets(&view(), &outsider, &search(text))
            .await
            .unwrap();
        assert!(
            !ids(rows).contains(&hidden.id),
            "{text:?} must not find the hidden asset"
        );
        assert_eq!(total.n, 0, "{text:?} counts nothing");
        let (rows, _) = s
            .list_assets(&view(), &member, &search(text))
            .await
            .unwrap();
        assert!(ids(rows).contains(&hidden.id), "{text:?} for its own unit");
        let (rows, _) = s
            .list_assets(&view(), &AssetVisibility::All, &search(text))
            .await
            .unwrap();
        assert!(ids(rows).contains(&hidden.id), "{text:?} for all");
    }
    // Neither the segment nor the flag filter tells the hidden segment or flags.
    for filter in [
        AssetFilter {
            limit: 50,
            segment: Some(r.internet.id),
            ..AssetFilter::default()
        },
        AssetFilter {
            limit: 50,
            flagged_only: true,
            ..AssetFilter::default()
        },
    ] {
        let (rows, total) = s.list_assets(&view(), &outsider, &filter).await.unwrap();
        assert!(!ids(rows).contains(&hidden.id), "{filter:?}");
        assert_eq!(total.n, 0, "{filter:?}");
        let (rows, _) = s.list_assets(&view(), &member, &filter).await.unwrap();
        assert!(
            ids(rows).contains(&hidden.id),
            "{filter:?} for its own unit"
        );
    }
}

/// The scales, segments and units every register page shows are kept between requests while a
/// session read has just seen the database's count of their changes. A change by this store, by
/// someone else at the database, or a second without a session read, makes them read again.
pub async fn register_reference_reads_follow_every_change(fx: Fx) {
    let r = register_fixture(&fx).await;
    let s = fx.store();
    let user = crate::provision(&fx, "reader", Some(r.unit_a), None).await;
    s.create_session(crate::new_session(user, "reader-1", fx.now() + 3_600_000))
        .await
        .unwrap();
    let codes = || async {
        s.list_segments(&view())
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.segment.code)
            .collect::<Vec<_>>()
    };
    let page = || async { s.session("reader-1").await.unwrap().expect("live session") };

    // Someone at the database adds a segment: kept values are served until a session read
    // sees the count move.
    page().await;
    assert_eq!(codes().await, ["INTERNET", "LGWAN", "MYNUMBER"]);
    fx.raw_execute(
        "INSERT INTO segments (code, name, ranges, note, created_at, updated_at) \
         VALUES ('BACKUP', 'バックアップ系', '', '', 0, 0)",
    )
    .await;
    assert_eq!(codes().await, ["INTERNET", "LGWAN", "MYNUMBER"], "kept");
    page().await;
    assert_eq!(codes().await, ["BACKUP", "INTERNET", "LGWAN", "MYNUMBER"]);

    // This store's own write is read at once, session read or not.
    s.create_segment(&register(), segment("DMZ", "公開系", ""), &origin())
        .await
        .unwrap();
    assert_eq!(
        codes().await,
        ["BACKUP", "DMZ", "INTERNET", "LGWAN", "MYNUMBER"]
    );

    // Units: renamed at the database.
    let directory = grant::<ViewDirectory>(&());
    let name_of_a = || async {
        s.list_units(&directory, None)
            .await
            .unwrap()
            .into_iter()
            .find(|u| u.id == r.unit_a)
            .expect("unit a")
            .name
            .to_string()
    };
    page().await;
    let before = name_of_a().await;
    fx.raw_execute(&format!(
        "UPDATE units SET name = '改称後の課' WHERE id = {}",
        r.unit_a.0
    ))
    .await;
    assert_eq!(name_of_a().await, before, "kept");
    page().await;
    assert_eq!(name_of_a().await, "改称後の課");

    // Scales: a level renamed by this store.
    page().await;
    let mut confidentiality = s.scales().await.unwrap().confidentiality;
    confidentiality.levels[0].name = "極秘".into();
    s.update_scale(&register(), confidentiality, &origin())
        .await
        .unwrap();
    let level_name = || async {
        s.scales().await.unwrap().confidentiality.levels[0]
            .name
            .clone()
    };
    assert_eq!(level_name().await, "極秘");
    // And renamed again at the database; this time an API token's read brings the count.
    s.create_api_token(
        crate::new_token(user, "cli", "reader-token", fx.now() + 3_600_000),
        &origin(),
    )
    .await
    .unwrap();
    let token = || async {
        s.live_api_token("reader-token")
            .await
            .unwrap()
            .expect("live token")
    };
    token().await;
    assert_eq!(level_name().await, "極秘");
    fx.raw_execute(
        "UPDATE classification_scales SET levels = REPLACE(levels, '極秘', '厳秘') \
         WHERE dimension = 'confidentiality'",
    )
    .await;
    assert_eq!(level_name().await, "極秘", "kept");
    token().await;
    assert_eq!(level_name().await, "厳秘");

    // A second after the last session read, nothing kept is trusted.
    page().await;
    assert_eq!(codes().await.len(), 5);
    fx.raw_execute("DELETE FROM segments WHERE code = 'BACKUP'")
        .await;
    assert_eq!(codes().await.len(), 5, "kept");
    fx.clock.advance(1_001);
    assert_eq!(codes().await, ["DMZ", "INTERNET", "LGWAN", "MYNUMBER"]);
}

/// A filtered list in the order of another index (newest first, by kind, by class) is the
/// unfiltered list in that order with the filter applied, page by page: whether few or many
/// assets match, and wherever in the order they stand (the rare kind only among the oldest).
pub async fn filtered_pages_in_another_order_are_the_order_filtered(fx: Fx) {
    let r = register_fixture(&fx).await;
    let s = fx.store();
    let kinds = [
        AssetKind::Equipment,
        AssetKind::Equipment,
        AssetKind::Document,
        AssetKind::System,
    ];
    for i in 0..60usize {
        let kind = if i < 3 {
            AssetKind::Media
        } else {
            kinds[i % kinds.len()]
        };
        let unit = if i % 2 == 0 { r.unit_a } else { r.unit_b };
        let mut asset = input(&format!("資産{:02}", (i * 37) % 60), kind, unit, None);
        asset.lifecycle = if i % 7 == 0 {
            Lifecycle::Retired
        } else {
            Lifecycle::InUse
        };
        s.create_asset(
            &manage(),
            new_asset(asset, ["1", "2", "3"][i % 3]),
            &origin(),
        )
        .await
        .unwrap();
        fx.clock.advance(1_000);
    }
    let everything = AssetFilter {
        limit: 500,
        ..AssetFilter::default()
    };
    type Keep = fn(&AssetRow) -> bool;
    let filters: Vec<(&str, AssetFilter, Keep)> = vec![
        (
            "equipment",
            AssetFilter {
                kind: Some(AssetKind::Equipment),
                ..everything.clone()
            },
            |row| row.kind == AssetKind::Equipment,
        ),
        (
            "media (the oldest three)",
            AssetFilter {
                kind: Some(AssetKind::Media),
                ..everything.clone()
            },
            |row| row.kind == AssetKind::Media,
        ),
        (
            "in use, level 2",
            AssetFilter {
                lifecycle: Some(Lifecycle::InUse),
                confidentiality: Some("2".into()),
                ..everything.clone()
            },
            |row| row.lifecycle == Lifecycle::InUse && row.classification.confidentiality == "2",
        ),
        (
            "retired",
            AssetFilter {
                lifecycle: Some(Lifecycle::Retired),
                ..everything.clone()
            },
            |row| row.lifecycle == Lifecycle::Retired,
        ),
    ];
    for sort in [AssetSort::Updated, AssetSort::Kind, AssetSort::Class] {
        let (all, _) = s
            .list_assets(
                &view(),
                &AssetVisibility::All,
                &AssetFilter {
                    sort,
                    ..everything.clone()
                },
            )
            .await
            .unwrap();
        assert_eq!(all.len(), 60);
        for (what, filter, keep) in &filters {
            let expected: Vec<AssetId> = all.iter().filter(|row| keep(row)).map(|r| r.id).collect();
            for limit in [1, 4] {
                let mut seen = Vec::new();
                let mut offset = 0;
                loop {
                    let (rows, total) = s
                        .list_assets(
                            &view(),
                            &AssetVisibility::All,
                            &AssetFilter {
                                sort,
                                offset,
                                limit,
                                ..filter.clone()
                            },
                        )
                        .await
                        .unwrap();
                    assert_eq!(total.n, expected.len() as i64, "{what}, {sort:?}");
                    if rows.is_empty() {
                        break;
                    }
                    seen.extend(rows.iter().map(|r| r.id));
                    offset += limit;
                }
                assert_eq!(seen, expected, "{what}, {sort:?}, pages of {limit}");
            }
        }
    }
}
