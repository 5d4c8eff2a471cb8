//! 研修 through the API: a course reaches its audience and those who join it later, a member of
//! staff completes their own once and nobody else's, the progress counts per unit, and the
//! import of completions from another system's CSV (UTF-8 with or without BOM, Shift_JIS) is all
//! or nothing, naming every bad row by its number, and refuses hostile files.

use super::*;

async fn open_course(w: &World, body: Value) -> Value {
    post("/api/v1/training/courses")
        .token(&w.ciso.token)
        .json(body)
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED)
}

async fn mine(w: &World, token: &str) -> Value {
    get("/api/v1/training/assignments")
        .token(token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK)
}

#[tokio::test]
async fn a_course_reaches_its_audience_and_its_progress_counts_per_unit() {
    let w = world().await;
    let for_a = open_course(
        &w,
        json!({"code": "somu-1", "title": "総務課の研修", "due_on": "2099-03-31",
        "audience_unit_ids": [w.unit_a]}),
    )
    .await;
    assert_eq!(for_a["assigned"], 3, "the three of 総務課");
    assert_eq!(for_a["course"]["code"], "SOMU-1");
    assert_eq!(for_a["course"]["year"], 2098);
    let everyone = open_course(
        &w,
        json!({"code": "SEC", "title": "情報セキュリティ研修", "due_on": "2099-03-31",
        "yearly": true}),
    )
    .await;
    assert_eq!(everyone["assigned"], 5, "everyone on the staff");
    let managers = open_course(
        &w,
        json!({"code": "AUD", "title": "監査人研修", "due_on": "2099-03-31",
        "audience_roles": ["auditor"], "audience_unit_ids": [w.unit_a, w.unit_b]}),
    )
    .await;
    assert_eq!(managers["assigned"], 1, "the auditor of 総務課 alone");

    let own = mine(&w, &w.staff_a.token).await;
    let codes: Vec<&str> = own
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["course_code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["SEC", "SOMU-1"]);
    assert_eq!(own[0]["standing"], "open");
    let sec = own[0]["id"].clone();
    // Not a colleague's to complete, nor to know of.
    let colleague = get(&format!(
        "/api/v1/training/courses/{}/units/{}",
        everyone["course"]["id"], w.unit_a
    ))
    .token(&w.ciso.token)
    .send(&w.app)
    .await
    .expect(StatusCode::OK)["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["person_id"] == w.colleague_a)
        .unwrap()["id"]
        .clone();
    post(&format!(
        "/api/v1/training/assignments/{colleague}/complete"
    ))
    .token(&w.staff_a.token)
    .json(json!({}))
    .send(&w.app)
    .await
    .error(StatusCode::NOT_FOUND, "not_found");
    let tomorrow = (chrono::Utc::now()
        .with_timezone(&mamori_core::time::JST)
        .date_naive()
        + chrono::Duration::days(1))
    .to_string();
    post(&format!("/api/v1/training/assignments/{sec}/complete"))
        .token(&w.staff_a.token)
        .json(json!({"completed_on": tomorrow}))
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let done = post(&format!("/api/v1/training/assignments/{sec}/complete"))
        .token(&w.staff_a.token)
        .json(json!({}))
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(done["standing"], "completed");
    assert_eq!(done["source"], "self");
    post(&format!("/api/v1/training/assignments/{sec}/complete"))
        .token(&w.staff_a.token)
        .json(json!({}))
        .send(&w.app)
        .await
        .error(StatusCode::CONFLICT, "training.already_completed");
    // The administrator records the colleague's, on the day they say.
    let by_admin = post(&format!(
        "/api/v1/training/assignments/{colleague}/complete"
    ))
    .token(&w.ciso.token)
    .json(json!({"completed_on": "2026-04-10"}))
    .send(&w.app)
    .await
    .expect(StatusCode::OK);
    assert_eq!(
        (
            by_admin["completed_on"].as_str(),
            by_admin["source"].as_str()
        ),
        (Some("2026-04-10"), Some("admin"))
    );

    let course_path = format!("/api/v1/training/courses/{}", everyone["course"]["id"]);
    let progress = get(&course_path)
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    let unit_a = progress["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit_id"] == w.unit_a)
        .unwrap();
    assert_eq!(
        (
            &unit_a["assigned"],
            &unit_a["completed"],
            &unit_a["percent"]
        ),
        (&json!(3), &json!(2), &json!(66))
    );
    assert_eq!(progress["total"]["assigned"], 5);
    // A member of staff sees the course, not the units' progress.
    let staff_view = get(&course_path)
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    assert_eq!(staff_view["units"], json!([]));

    // Someone joins 総務課: assigning again reaches them alone.
    post("/api/v1/people")
        .token(&w.ciso.token)
        .json(json!({"name": "総務 新人", "unit_id": w.unit_a}))
        .send(&w.app)
        .await
        .expect(StatusCode::CREATED);
    let again = post(&format!(
        "/api/v1/training/courses/{}/assign",
        for_a["course"]["id"]
    ))
    .token(&w.ciso.token)
    .send(&w.app)
    .await
    .expect(StatusCode::OK);
    assert_eq!(again["assigned"], 1);

    // The reminder on the caller's waiting list: due soon, not the far one.
    open_course(
        &w,
        json!({"code": "SOON", "title": "標的型メール訓練",
        "due_on": (chrono::Utc::now().with_timezone(&mamori_core::time::JST).date_naive() + chrono::Duration::days(3)).to_string()}),
    )
    .await;
    let waiting = get("/api/v1/waiting")
        .token(&w.staff_a.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    let due: Vec<(&str, &str)> = waiting["training"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["course_code"].as_str().unwrap(),
                t["standing"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(due, [("SOON", "due_soon")]);
}

#[tokio::test]
async fn a_course_with_bad_fields_is_refused_with_every_field() {
    let w = world().await;
    let refused = post("/api/v1/training/courses")
        .token(&w.ciso.token)
        .json(
            json!({"code": "bad code!", "title": "", "due_on": "2027-02-30",
        "audience_roles": ["root"], "audience_unit_ids": [-1]}),
        )
        .send(&w.app)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let fields: Vec<&str> = refused["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "code",
            "title",
            "due_on",
            "audience_roles",
            "audience_units"
        ]
    );
    for body in
        [json!({"code": "X", "title": "t", "due_on": "2099-01-01", "audience_unit_ids": [99_999]})]
    {
        post("/api/v1/training/courses")
            .token(&w.ciso.token)
            .json(body)
            .send(&w.app)
            .await
            .error(StatusCode::CONFLICT, "training.scope_missing");
    }
    open_course(
        &w,
        json!({"code": "X", "title": "t", "due_on": "2099-01-01"}),
    )
    .await;
    post("/api/v1/training/courses")
        .token(&w.ciso.token)
        .json(json!({"code": "x", "title": "again", "due_on": "2099-01-01"}))
        .send(&w.app)
        .await
        .error(StatusCode::CONFLICT, "training.code_taken");
    for body in [
        json!({"code": "Y", "title": "t", "due_on": "2099-01-01", "owner": 1}),
        json!({"code": "Y", "title": "t", "due_on": "2099-01-01", "audience_unit_ids": "1"}),
        json!({"code": "Y", "title": "長".repeat(201), "due_on": "2099-01-01"}),
        json!({"code": "Y", "title": "t\u{202E}", "due_on": "2099-01-01"}),
    ] {
        let reply = post("/api/v1/training/courses")
            .token(&w.ciso.token)
            .json(body.clone())
            .send(&w.app)
            .await;
        assert!(
            reply.status.is_client_error(),
            "{body}: {} {}",
            reply.status,
            reply.body
        );
    }
    post("/api/v1/training/courses")
        .token(&w.staff_a.token)
        .json(json!({"code": "Z", "title": "t", "due_on": "2099-01-01"}))
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
}

async fn import(w: &World, body: impl Into<axum::body::Body>) -> Reply {
    post("/api/v1/training/import")
        .token(&w.ciso.token)
        .raw("text/csv", body)
        .send(&w.app)
        .await
}

/// The rows a refused import names, as (row, message).
fn problems(reply: &Reply) -> Vec<(i64, String)> {
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert_eq!(reply.body["error"], "sheet_invalid");
    reply.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["row"].as_i64().unwrap(),
                r["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn completions_are_imported_from_another_systems_csv_all_or_nothing() {
    let w = world().await;
    let course = open_course(
        &w,
        json!({"code": "SEC-2026", "title": "情報セキュリティ研修", "due_on": "2099-03-31"}),
    )
    .await;
    let course_path = format!("/api/v1/training/courses/{}", course["course"]["id"]);
    let completed = async || {
        get(&course_path)
            .token(&w.ciso.token)
            .send(&w.app)
            .await
            .expect(StatusCode::OK)["total"]["completed"]
            .as_i64()
            .unwrap()
    };
    let audit_before = get("/api/v1/audit")
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);

    // Every kind of bad row at once: nothing is taken, each row is named.
    let bad = "email,course,completed_on\r\n\
               staff.a@city.example.lg.jp,SEC-2026,2026-11-20\r\n\
               nobody@city.example.lg.jp,SEC-2026,2026-11-20\r\n\
               saburo@city.example.lg.jp,NOPE,2026-11-20\r\n\
               auditor.a@city.example.lg.jp,SEC-2026,2026-13-40\r\n\
               STAFF.A@city.example.lg.jp,sec-2026,2026/11/21\r\n";
    let named = problems(&import(&w, bad).await);
    assert_eq!(
        named.iter().map(|(row, _)| *row).collect::<Vec<_>>(),
        [3, 4, 5, 6]
    );
    assert!(
        named[0].1.contains("nobody@city.example.lg.jp"),
        "{named:?}"
    );
    assert!(
        named[3].1.contains('2'),
        "the duplicate names the first row: {named:?}"
    );
    assert_eq!(completed().await, 0, "all or nothing");
    for (text, expected) in [
        (
            "email,completed_on\nstaff.a@city.example.lg.jp,2026-11-20\n",
            "course",
        ),
        (
            "name,course,completed_on\n一郎,SEC-2026,2026-11-20\n",
            "email / login",
        ),
        (
            "email,course\nstaff.a@city.example.lg.jp,SEC-2026\n",
            "completed_on",
        ),
    ] {
        let named = problems(&import(&w, text).await);
        assert_eq!(named[0].0, 1, "{text}");
        assert!(named[0].1.contains(expected), "{named:?}");
    }

    // UTF-8 with a BOM and Japanese headers, columns in any order, others ignored.
    let with_bom = "\u{feff}氏名,修了日,コースコード,ログインID\r\n総務 一郎,2026/11/20,sec-2026,staff.a\r\n,,,\r\n";
    let reply = import(&w, with_bom).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body, json!({"completed": 1, "unchanged": 0}));
    // Shift_JIS, as a spreadsheet on a Japanese desktop saves it; a row already recorded is
    // left as it was.
    let sjis_text = "メールアドレス,研修コード,完了日\r\nsaburo@city.example.lg.jp,SEC-2026,2026-11-01\r\nstaff.a@city.example.lg.jp,SEC-2026,2026-11-02\r\n";
    let (sjis, _, lossy) = encoding_rs::SHIFT_JIS.encode(sjis_text);
    assert!(!lossy);
    let reply = import(&w, sjis.into_owned()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body, json!({"completed": 1, "unchanged": 1}));
    assert_eq!(completed().await, 2);
    let staff_own = mine(&w, &w.staff_a.token).await;
    assert_eq!(
        staff_own[0]["completed_on"], "2026-11-20",
        "the first import's day kept"
    );
    assert_eq!(staff_own[0]["source"], "import");
    let audit = get("/api/v1/audit")
        .token(&w.ciso.token)
        .send(&w.app)
        .await
        .expect(StatusCode::OK);
    let imports = |list: &Value| list.to_string().matches("\"training.import\"").count();
    assert_eq!(imports(&audit) - imports(&audit_before), 2);

    // Not the staff's to import.
    post("/api/v1/training/import")
        .token(&w.staff_a.token)
        .raw("text/csv", "email,course,completed_on\n")
        .send(&w.app)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn hostile_completion_files_are_refused_and_change_nothing() {
    let w = world().await;
    open_course(
        &w,
        json!({"code": "SEC", "title": "情報セキュリティ研修", "due_on": "2099-03-31"}),
    )
    .await;
    let mut many = String::from("email,course,completed_on\n");
    for _ in 0..=training_rows() {
        many.push_str("staff.a@city.example.lg.jp,SEC,2026-11-20\n");
    }
    let mut huge = String::from("email,course,completed_on\nstaff.a@city.example.lg.jp,SEC,");
    huge.push_str(&"9".repeat(2 * 1024 * 1024));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("a PNG", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()),
        ("neither UTF-8 nor Shift_JIS", b"email,course\n\xff\xfe\xfd\x80\x80,SEC\n".to_vec()),
        ("a BOM then broken UTF-8", b"\xef\xbb\xbfemail\n\xc3\x28\n".to_vec()),
        ("a NUL", b"email,course,completed_on\nstaff.a@city.example.lg.jp\0,SEC,2026-11-20\n".to_vec()),
        ("an unclosed quote", b"email,course,completed_on\n\"staff.a@city.example.lg.jp,SEC,2026-11-20\n".to_vec()),
        ("more rows than allowed", many.into_bytes()),
        ("larger than allowed", huge.into_bytes()),
        ("only a header", b"email,course,completed_on\r\n".to_vec()),
        (
            "formulas and bidi overrides",
            "email,course,completed_on\n=HYPERLINK(\"http://x\"),SEC,2026-11-20\nstaff.a@city.example.lg.jp,\u{202E}CES,2026-11-20\n"
                .as_bytes()
                .to_vec(),
        ),
        (
            "a header naming a column twice",
            b"email,mail,course,completed_on\nstaff.a@city.example.lg.jp,x,SEC,2026-11-20\n".to_vec(),
        ),
    ];
    for (what, bytes) in cases {
        let reply = import(&w, bytes).await;
        assert!(
            reply.status == StatusCode::UNPROCESSABLE_ENTITY
                || reply.status == StatusCode::PAYLOAD_TOO_LARGE,
            "{what}: {} {}",
            reply.status,
            reply.body
        );
        assert!(
            reply.body["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{what}"
        );
    }
    let own = mine(&w, &w.staff_a.token).await;
    assert_eq!(own[0]["completed_on"], Value::Null, "nothing was taken");
}

fn training_rows() -> usize {
    mamori_core::training::MAX_IMPORT_ROWS
}
