//! The web application driven through its real router on a temporary SQLite store: the role ×
//! route authorisation matrix, CSRF, sessions and the second factor, id guessing, login
//! throttling and timing, bad input, security headers and the operational endpoints.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use mamori_core::PersonId;
use mamori_core::authz::{ViewDirectory, authorize};
use mamori_core::credentials::{TotpSecret, random_token};
use mamori_store::{AccountStore, DirectoryStore, Origin, PeopleFilter};
use mamori_web::WebConfig;
use mamori_web::i18n::Lang;
use rand::rngs::OsRng;

mod harness;
use harness::*;

#[rustfmt::skip]
const MATRIX: &[Row] = &[
    //                                                                                         ciso dir  off  mgr  sys  crt  aud  stf  con  none anon
    row("GET",  "/", "/", &[],                                                                [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, L  ]),
    row("GET",  "/login", "/login", &[],                                                      [GO,  GO,  GO,  GO,  GO,  GO,  GO,  GO,  GO,  GO,  200]),
    row("POST", "/login", "/login", &[("username", "{who}"), ("password", "not the password")], [401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401]),
    row("GET",  "/login/totp", "/login/totp", &[],                                            [L,   L,   L,   L,   L,   L,   L,   L,   L,   L,   L  ]),
    row("POST", "/login/totp", "/login/totp", &[("code", "123456")],                          [L,   L,   L,   L,   L,   L,   L,   L,   L,   L,   L  ]),
    row("GET",  "/account", "/account", &[],                                                  [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, L  ]),
    row("POST", "/account/language", "/account/language", &[("language", "ja")],             [GO,  GO,  GO,  GO,  GO,  GO,  GO,  GO,  GO,  GO,  L  ]),
    row("POST", "/account/sessions/{id}/revoke", "/account/sessions/{own_session}/revoke", &[], [GO,  GO,  GO,  GO,  GO,  GO,  GO,  GO,  GO,  GO,  L  ]),
    row("POST", "/account/sessions/{id}/revoke", "/account/sessions/{victim_session}/revoke", &[], [404, 404, 404, 404, 404, 404, 404, 404, 404, GO,  L  ]),
    row("GET",  "/account/tokens", "/account/tokens", &[],                                    [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, L  ]),
    row("POST", "/account/tokens/{id}/revoke", "/account/tokens/{own_token}/revoke", &[],    [GO,  GO,  GO,  GO,  GO,  GO,  GO,  GO,  GO,  GO,  L  ]),
    row("POST", "/account/tokens/{id}/revoke", "/account/tokens/{victim_token}/revoke", &[], [404, 404, 404, 404, 404, 404, 404, 404, 404, GO,  L  ]),
    row("GET",  "/account/password", "/account/password", &[],                                [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, L  ]),
    // After the session and token rows: a new password ends the user's other sessions and
    // revokes their tokens.
    row("POST", "/account/password", "/account/password",
        &[("current", "{password}"), ("new_password", "{new_password}")],                     [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, L  ]),
    row("GET",  "/account/totp", "/account/totp", &[],                                        [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, L  ]),
    row("POST", "/account/totp", "/account/totp",
        &[("secret", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"), ("code", "abcdef")],                [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, L  ]),
    row("POST", "/account/totp/disable", "/account/totp/disable", &[("code", "123456")],      [422, 422, 422, 422, 422, 422, 422, 422, 422, 422, L  ]),
    row("GET",  "/organisations", "/organisations", &[],                                      [200, 200, 200, 200, 200, 200, 200, 200, 403, 403, L  ]),
    row("POST", "/organisations", "/organisations", &[("code", "X-{WHO}"), ("name", "機関 {who}")], [GO,  GO,  403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("GET",  "/organisations/{id}", "/organisations/{org_b}", &[],                         [200, 200, 200, 200, 200, 200, 200, 200, 403, 403, L  ]),
    row("POST", "/organisations/{id}", "/organisations/{org_b}",
        &[("code", "ORGB"), ("name", "教育委員会")],                                           [GO,  GO,  403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("POST", "/units", "/units", &[("org_id", "{org_a}"), ("name", "A課 {who}")],          [GO,  GO,  GO,  403, 403, 403, 403, 403, 403, 403, L  ]),
    row("POST", "/units", "/units", &[("org_id", "{org_b}"), ("name", "B課 {who}")],          [GO,  GO,  403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("GET",  "/units/{id}", "/units/{unit_b1}", &[],                                       [200, 200, 200, 200, 200, 200, 200, 200, 403, 403, L  ]),
    row("POST", "/units/{id}", "/units/{unit_a2}", &[("name", "総務課")],                      [GO,  GO,  GO,  403, 403, 403, 403, 403, 403, 403, L  ]),
    row("POST", "/units/{id}", "/units/{unit_b1}", &[("name", "学務課")],                      [GO,  GO,  403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("GET",  "/people", "/people", &[],                                                    [200, 200, 200, 200, 200, 200, 200, 200, 403, 403, L  ]),
    row("POST", "/people", "/people", &[("name", "新人 {who}"), ("unit_id", "{unit_a1}")],    [GO,  GO,  GO,  GO,  403, 403, 403, 403, 403, 403, L  ]),
    row("POST", "/people", "/people", &[("name", "新人 {who}"), ("unit_id", "{unit_b1}")],    [GO,  GO,  403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("GET",  "/people/{id}", "/people/{person_a1}", &[],                                   [200, 200, 200, 200, 404, 200, 404, 200, 404, 404, L  ]),
    row("GET",  "/people/{id}", "/people/{person_b1}", &[],                                   [200, 200, 404, 404, 404, 200, 200, 404, 404, 404, L  ]),
    row("GET",  "/people/{id}", "/people/{self_person}", &[],                                 [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, L  ]),
    row("GET",  "/people/{id}", "/people/99999999", &[],                                      [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, L  ]),
    row("POST", "/people/{id}", "/people/{person_a1}",
        &[("name", "同僚 一郎"), ("unit_id", "{unit_a1}")],                                    [GO,  GO,  GO,  GO,  404, 403, 404, 403, 404, 404, L  ]),
    row("POST", "/people/{id}", "/people/{person_b1}",
        &[("name", "学務 次郎"), ("unit_id", "{unit_b1}")],                                    [GO,  GO,  404, 404, 404, 403, 403, 404, 404, 404, L  ]),
    row("POST", "/people/{id}/roles", "/people/{person_a2}/roles",
        &[("role", "system_administrator"), ("system", "sys-{who}")],                          [GO,  GO,  GO,  404, 404, 403, 403, 404, 404, 404, L  ]),
    row("POST", "/people/{id}/roles", "/people/{person_b1}/roles",
        &[("role", "system_administrator"), ("system", "sys-{who}")],                          [GO,  GO,  404, 404, 404, 403, 403, 404, 404, 404, L  ]),
    row("POST", "/people/{id}/roles", "/people/{person_a2}/roles",
        &[("role", "ciso"), ("scope", "global")],                                              [GO,  403, 403, 404, 404, 403, 403, 404, 404, 404, L  ]),
    row("POST", "/roles/{id}/revoke", "/roles/{revocable}/revoke", &[],                        [GO,  GO,  GO,  404, 404, 403, 403, 404, 404, 404, L  ]),
    row("GET",  "/accounts", "/accounts", &[],                                                [200, 200, 403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("POST", "/accounts", "/accounts",
        &[("username", "new-{who}"), ("person_id", "{spare_person}"), ("password", "{new_password}")], [GO,  GO,  403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("POST", "/accounts/{id}/disabled", "/accounts/{norole_user}/disabled", &[("disabled", "false")], [GO,  GO,  403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("GET",  "/audit", "/audit", &[],                                                      [200, 200, 403, 403, 403, 200, 200, 403, 403, 403, L  ]),
    row("GET",  "/assets", "/assets", &[],                                                    [200, 200, 200, 200, 200, 200, 200, 200, 403, 403, L  ]),
    row("GET",  "/assets", "/assets?flagged=1&sort=class&confidentiality=3", &[],            [200, 200, 200, 200, 200, 200, 200, 200, 403, 403, L  ]),
    row("POST", "/assets", "/assets",
        &[("name", "資産 {who}"), ("kind", "system"), ("owner_unit_id", "{unit_a1}"),
          ("confidentiality", "2"), ("integrity", "1"), ("availability", "1")],              [GO,  GO,  GO,  GO,  403, 403, 403, 403, 403, 403, L  ]),
    row("GET",  "/assets/summary", "/assets/summary", &[],                                    [200, 200, 200, 200, 200, 200, 200, 200, 403, 403, L  ]),
    // The register as a file: administrators only. The import takes a multipart upload, so a
    // plain form from them is the wrong media type; everyone else is refused before that.
    row("GET",  "/assets/export", "/assets/export?format=csv", &[],                          [200, 200, 403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("GET",  "/assets/export", "/assets/export?format=xlsx", &[],                         [200, 200, 403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("POST", "/assets/import", "/assets/import", &[("file", "名称,種別")],                  [415, 415, 403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    // 機密性3 of unit A1: its members and the security roles over it; nobody else knows of it.
    row("GET",  "/assets/{id}", "/assets/{asset_secret_a1}", &[],                             [200, 200, 200, 200, 404, 200, 200, 200, 404, 404, L  ]),
    row("GET",  "/assets/{id}", "/assets/{asset_open_b1}", &[],                               [200, 200, 200, 200, 200, 200, 200, 200, 404, 404, L  ]),
    // The open asset of unit A1 is named by the contractor's contract in force.
    row("GET",  "/assets/{id}", "/assets/{asset_open_a1}", &[],                               [200, 200, 200, 200, 200, 200, 200, 200, 200, 404, L  ]),
    row("POST", "/assets/{id}", "/assets/{asset_open_b1}",
        &[("name", "学務システム"), ("kind", "system"), ("owner_unit_id", "{unit_b1}"), ("segment", "LGWAN"),
          ("confidentiality", "2"), ("integrity", "2"), ("availability", "2")],              [GO,  GO,  403, 403, 403, 403, 403, 403, 404, 404, L  ]),
    row("POST", "/assets/{id}/reclassify", "/assets/{asset_secret_a1}/reclassify",
        &[("confidentiality", "3"), ("integrity", "2"), ("availability", "2"), ("reason", "{who}")], [GO,  GO,  GO,  GO,  404, 403, 403, 403, 404, 404, L  ]),
    row("POST", "/assets/{id}/dispose", "/assets/{asset_open_a1}/dispose",
        &[("method", "物理破壊"), ("by", "{who}")],                                            [GO,  GO,  GO,  GO,  403, 403, 403, 403, 403, 404, L  ]),
    row("GET",  "/segments", "/segments", &[],                                                [200, 200, 200, 200, 200, 200, 200, 200, 403, 403, L  ]),
    row("POST", "/segments", "/segments", &[("code", "SEG-{WHO}"), ("name", "区画 {who}")],   [GO,  GO,  403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("POST", "/segments/{id}", "/segments/{segment}",
        &[("code", "LGWAN"), ("name", "LGWAN接続系"), ("ranges", "10.10.0.0/16")],            [GO,  GO,  403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("POST", "/segments/{id}/delete", "/segments/99999999/delete", &[],                    [404, 404, 403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("GET",  "/classification", "/classification", &[],                                   [200, 200, 200, 200, 200, 200, 200, 200, 403, 403, L  ]),
    row("POST", "/classification/split", "/classification/split", &[("split", "off")],        [GO,  GO,  403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("GET",  "/classification/{dimension}/{code}", "/classification/confidentiality/2", &[], [200, 200, 403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("GET",  "/classification/{dimension}/{code}", "/classification/secrecy/2", &[],       [404, 404, 403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("POST", "/classification/{dimension}/{code}", "/classification/integrity/1",
        &[("name", "完全性1"), ("existence_visible", "on"), ("take_out", "allowed")],          [GO,  GO,  403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    // Without a gateway the quarantine pages name nothing; `web/quarantine.rs` drives them with one.
    row("GET",  "/quarantine", "/quarantine", &[],                                            [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, L  ]),
    row("GET",  "/quarantine/releases", "/quarantine/releases", &[],                          [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, L  ]),
    row("POST", "/quarantine/releases/{id}/decide", "/quarantine/releases/1/decide",
        &[("decision", "approve")],                                                            [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, L  ]),
    row("GET",  "/quarantine/{id}", "/quarantine/q-0123456789abcdef01234567", &[],           [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, L  ]),
    row("POST", "/quarantine/{id}/request", "/quarantine/q-0123456789abcdef01234567/request",
        &[("reason", "原本が必要")],                                                            [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, L  ]),
    // 情報セキュリティポリシー: the basic policy in force is published; drafts and reviews are
    // read by those who manage, approve or audit them; each user has their own draft and review.
    row("GET",  "/policy", "/policy", &[],                                                    [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    row("GET",  "/policies", "/policies", &[],                                                [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, L  ]),
    row("POST", "/policies/import", "/policies/import",
        &[("org_id", "{org_a}"), ("tier", "basic"), ("title", "方針 {who}")],                   [415, 415, 415, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("GET",  "/policies/{id}", "/policies/{policy_basic}", &[],                            [200, 200, 200, 200, 200, 200, 200, 200, 404, 200, L  ]),
    row("GET",  "/policies/{id}", "/policies/{policy_draft}", &[],                            [200, 200, 200, 404, 404, 404, 200, 404, 404, 404, L  ]),
    row("GET",  "/policies/{id}", "/policies/99999999", &[],                                  [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, L  ]),
    row("GET",  "/policies/{id}/versions/{n}", "/policies/{policy_basic}/versions/1", &[],    [200, 200, 200, 200, 200, 200, 200, 200, 404, 200, L  ]),
    row("GET",  "/policies/{id}/versions/{n}", "/policies/{policy_review}/versions/1", &[],   [200, 200, 200, 404, 404, 404, 200, 404, 404, 404, L  ]),
    row("GET",  "/policies/{id}/versions/{n}", "/policies/{policy_basic}/versions/2", &[],    [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, L  ]),
    row("GET",  "/policies/{id}/diff", "/policies/{policy_basic}/diff?from=1&to=1", &[],      [200, 200, 200, 200, 200, 200, 200, 200, 404, 200, L  ]),
    // The edit form is an upload: those allowed meet the wrong media type with a plain form.
    row("POST", "/policies/{id}/draft", "/policies/{policy_draft}/draft", &[("text", "{policy_text}")], [415, 415, 415, 404, 404, 404, 403, 404, 404, 404, L  ]),
    row("POST", "/policies/{id}/versions/{n}/step", "/policies/{policy_draft}/versions/1/step",
        &[("step", "submit")],                                                                 [GO,  GO,  GO,  404, 404, 404, 403, 404, 404, 404, L  ]),
    // The officer edited every review: only the CISO, the document's approver, approves.
    row("POST", "/policies/{id}/versions/{n}/step", "/policies/{policy_review}/versions/1/step",
        &[("step", "approve"), ("effective_from", "2025-04-01")],                              [GO,  403, 403, 404, 404, 404, 403, 404, 404, 404, L  ]),
    row("POST", "/policies/{id}/versions/{n}/acknowledge", "/policies/{policy_basic}/versions/1/acknowledge", &[], [403, 403, GO,  GO,  GO,  GO,  GO,  GO,  404, GO,  L  ]),
    row("GET",  "/policies/{id}/versions/{n}/acknowledgements", "/policies/{policy_basic}/versions/1/acknowledgements", &[], [200, 200, 200, 200, 403, 403, 200, 403, 404, 403, L  ]),
    // 対策項目: read by the staff; a unit's answers by those who oversee it, given by its 管理者,
    // its organisation's 責任者 and the administrators. Answers and imports are uploads: those
    // allowed meet the wrong media type with a plain form, the rest are refused before that.
    row("GET",  "/controls", "/controls", &[],                                                [200, 200, 200, 200, 200, 200, 200, 200, 403, 200, L  ]),
    row("POST", "/controls/import", "/controls/import", &[("file", "urn: x")],                [415, 415, 403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("GET",  "/controls/{id}", "/controls/{catalogue}", &[],                               [200, 200, 200, 200, 200, 200, 200, 200, 403, 200, L  ]),
    row("GET",  "/controls/{id}", "/controls/99999999", &[],                                  [404, 404, 404, 404, 404, 404, 404, 404, 403, 404, L  ]),
    row("GET",  "/controls/{id}/units/{unit}", "/controls/{catalogue}/units/{unit_a1}", &[],  [200, 200, 200, 200, 404, 200, 200, 404, 403, 404, L  ]),
    row("GET",  "/controls/{id}/units/{unit}", "/controls/{catalogue}/units/{unit_b1}", &[],  [200, 200, 404, 404, 404, 200, 200, 404, 403, 404, L  ]),
    row("POST", "/controls/{id}/units/{unit}/answer", "/controls/{catalogue}/units/{unit_a1}/answer",
        &[("measure", "M-1.1.1"), ("status", "implemented")],                                  [415, 415, 415, 415, 404, 403, 403, 404, 403, 404, L  ]),
    row("GET",  "/controls/{id}/units/{unit}/answers/{answer}/file", "/controls/{catalogue}/units/{unit_a1}/answers/99999999/file", &[],
                                                                                               [404, 404, 404, 404, 404, 404, 404, 404, 403, 404, L  ]),
    row("GET",  "/coverage", "/coverage?policy={policy_basic}", &[],                          [200, 200, 200, 200, 403, 200, 200, 403, 404, 403, L  ]),
    row("GET",  "/coverage", "/coverage?policy=99999999", &[],                                [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, L  ]),
    row("GET",  "/coverage/export", "/coverage/export?policy={policy_basic}", &[],            [200, 200, 200, 200, 403, 200, 200, 403, 404, 403, L  ]),
    // リスク: the register by the security roles over the risk's unit and the risk's owner, not by
    // every member of staff; the fixture's risk (unit A1, critical) is accepted by the CISO alone.
    row("GET",  "/risks", "/risks", &[],                                                      [200, 200, 200, 200, 200, 200, 200, 200, 403, 200, L  ]),
    row("POST", "/risks", "/risks", &[("title", "窓口端末の盗難"), ("unit", "{unit_a1}"), ("owner", "{person_a1}"), ("likelihood", "2"), ("impact", "3"), ("treatment", "reduce"), ("review_on", "2030-04-01")],
                                                                                               [GO,  GO,  GO,  GO,  403, 403, 403, 403, 403, 403, L  ]),
    row("GET",  "/risks/{id}", "/risks/{risk}", &[],                                          [200, 200, 200, 200, 404, 200, 404, 404, 404, 404, L  ]),
    row("GET",  "/risks/{id}", "/risks/99999999", &[],                                        [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, L  ]),
    row("POST", "/risks/{id}", "/risks/{risk}", &[("title", "人事情報の漏えい"), ("unit", "{unit_a1}"), ("owner", "{person_a1}"), ("likelihood", "4"), ("impact", "5"), ("treatment", "reduce"), ("review_on", "2030-03-31")],
                                                                                               [GO,  GO,  GO,  GO,  404, 403, 404, 404, 404, 404, L  ]),
    row("POST", "/risks/{id}/accept", "/risks/{risk}/accept", &[("note", "受容{who}")],        [GO,  403, 403, 403, 404, 403, 404, 404, 404, 404, L  ]),
    row("GET",  "/risk-matrix", "/risk-matrix", &[],                                          [200, 200, 200, 200, 200, 200, 200, 200, 403, 200, L  ]),
    row("POST", "/risk-matrix", "/risk-matrix", &[("accept_threshold", "high")],              [422, 422, 403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("GET",  "/threats", "/threats", &[],                                                  [200, 200, 200, 200, 200, 200, 200, 200, 403, 200, L  ]),
    row("POST", "/threats", "/threats", &[("code", "T-{WHO}"), ("name_ja", "脅威{who}"), ("name_en", "Threat {who}"), ("category", "disaster")],
                                                                                               [GO,  GO,  403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("POST", "/threats/{id}", "/threats/1", &[("code", "T-ACCESS"), ("name_ja", "不正アクセス"), ("name_en", "Unauthorised access"), ("category", "intentional")],
                                                                                               [GO,  GO,  403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    // 自己点検: campaigns opened by the administrators; a unit's items seen by those who oversee
    // it (answered on its checklist), signed off by the 責任者 and the administrators once
    // complete (the fixture's are not: 409).
    row("GET",  "/inspections", "/inspections", &[],                                          [200, 200, 200, 200, 200, 200, 200, 200, 403, 200, L  ]),
    row("POST", "/inspections", "/inspections", &[("year", "20{nn}"), ("title", "点検{who}"), ("catalogue", "{catalogue}"), ("due_on", "2031-01-31")],
                                                                                               [GO,  GO,  403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("GET",  "/inspections/{id}", "/inspections/{inspection}", &[],                        [200, 200, 200, 200, 404, 200, 200, 404, 403, 404, L  ]),
    row("GET",  "/inspections/{id}", "/inspections/99999999", &[],                            [404, 404, 404, 404, 404, 404, 404, 404, 403, 404, L  ]),
    row("GET",  "/inspections/{id}/units/{unit}", "/inspections/{inspection}/units/{unit_a1}", &[],
                                                                                               [200, 200, 200, 200, 404, 200, 200, 404, 403, 404, L  ]),
    row("GET",  "/inspections/{id}/units/{unit}", "/inspections/{inspection}/units/{unit_b1}", &[],
                                                                                               [200, 200, 404, 404, 404, 200, 200, 404, 403, 404, L  ]),
    row("GET",  "/inspections/{id}/units/{unit}", "/inspections/{inspection}/units/{unit_a2}", &[],
                                                                                               [404, 404, 404, 404, 404, 404, 404, 404, 403, 404, L  ]),
    row("POST", "/inspections/{id}/units/{unit}/sign-off", "/inspections/{inspection}/units/{unit_a1}/sign-off", &[("note", "確認{who}")],
                                                                                               [409, 409, 409, 403, 404, 403, 403, 404, 403, 404, L  ]),
    // 指摘事項 and 是正処置: findings seen over their unit (never by an auditor of that unit),
    // graded by the auditors and the administrators; actions planned by the unit's 管理者, its
    // 責任者 and the administrators, verified by the auditors and the administrators.
    row("GET",  "/findings", "/findings", &[],                                                [200, 200, 200, 200, 200, 200, 200, 200, 403, 200, L  ]),
    row("POST", "/findings", "/findings", &[("unit", "{unit_b1}"), ("kind", "minor"), ("description", "指摘{who}")],
                                                                                               [GO,  GO,  403, 403, 403, 403, GO,  403, 403, 403, L  ]),
    row("GET",  "/findings/{id}", "/findings/{finding_a1}", &[],                              [200, 200, 200, 200, 404, 200, 404, 404, 404, 404, L  ]),
    row("GET",  "/findings/{id}", "/findings/99999999", &[],                                  [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, L  ]),
    row("POST", "/findings/{id}/grade", "/findings/{finding_a1}/grade", &[("kind", "major"), ("description", "再格付け{who}")],
                                                                                               [GO,  GO,  403, 403, 404, 403, 404, 404, 404, 404, L  ]),
    row("POST", "/findings/{id}/grade", "/findings/{finding_b1}/grade", &[("kind", "minor"), ("description", "再格付け{who}")],
                                                                                               [GO,  GO,  404, 404, 404, 403, GO,  404, 404, 404, L  ]),
    row("POST", "/findings/{id}/actions", "/findings/{finding_a1}/actions", &[("description", "是正{who}"), ("owner", "{person_a1}"), ("due_on", "2031-03-31")],
                                                                                               [GO,  GO,  GO,  GO,  404, 403, 404, 404, 404, 404, L  ]),
    row("GET",  "/corrective-actions", "/corrective-actions", &[],                            [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, L  ]),
    row("POST", "/corrective-actions/{id}/complete", "/corrective-actions/{action_open}/complete", &[("note", "完了{who}")],
                                                                                               [GO,  GO,  GO,  GO,  404, 403, 404, 404, 404, 404, L  ]),
    row("POST", "/corrective-actions/{id}/verify", "/corrective-actions/{action_done}/verify", &[("decision", "accept"), ("note", "確認{who}")],
                                                                                               [GO,  GO,  404, 404, 404, 403, GO,  404, 404, 404, L  ]),
    // 情報セキュリティ監査: planned by the administrators; read by them, its team and the auditors
    // independent of its scope (the fixture's: unit B1, the auditor of unit A1 leading);
    // fieldwork, findings and the report by the team alone.
    row("GET",  "/audits", "/audits", &[],                                                    [200, 200, 200, 200, 200, 200, 200, 200, 403, 200, L  ]),
    row("POST", "/audits", "/audits", &[("year", "20{nn}"), ("title", "監査{who}"), ("period_from", "2026-10-01"), ("period_to", "2026-11-30"), ("units", "{unit_b1}")],
                                                                                               [GO,  GO,  403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("GET",  "/audits/{id}", "/audits/{security_audit}", &[],                              [200, 200, 404, 404, 404, 404, 200, 404, 404, 404, L  ]),
    row("GET",  "/audits/{id}", "/audits/99999999", &[],                                      [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, L  ]),
    row("GET",  "/audits/{id}/findings.xlsx", "/audits/{security_audit}/findings.xlsx", &[],  [200, 200, 404, 404, 404, 404, 200, 404, 404, 404, L  ]),
    row("POST", "/audits/{id}/team", "/audits/{security_audit}/team", &[("person", "{spare_person}")],
                                                                                               [GO,  GO,  404, 404, 404, 404, 403, 404, 404, 404, L  ]),
    row("POST", "/audits/{id}/team/{person}/remove", "/audits/{security_audit}/team/{spare_person}/remove", &[],
                                                                                               [GO,  GO,  404, 404, 404, 404, 403, 404, 404, 404, L  ]),
    row("POST", "/audits/{id}/notes", "/audits/{security_audit}/notes", &[("unit", "{unit_b1}"), ("text", "調書{who}")],
                                                                                               [403, 403, 404, 404, 404, 404, GO,  404, 404, 404, L  ]),
    row("POST", "/audits/{id}/findings", "/audits/{security_audit}/findings", &[("unit", "{unit_b1}"), ("kind", "minor"), ("description", "指摘{who}")],
                                                                                               [403, 403, 404, 404, 404, 404, GO,  404, 404, 404, L  ]),
    // Last of the audit's rows: the report closes it.
    row("GET",  "/audits/{id}/report", "/audits/{security_audit}/report", &[],                [200, 200, 404, 404, 404, 404, 200, 404, 404, 404, L  ]),
    row("POST", "/audits/{id}/report", "/audits/{security_audit}/report", &[("report", "所見{who}")],
                                                                                               [403, 403, 404, 404, 404, 404, GO,  404, 404, 404, L  ]),
    // 例外措置: asked for by the unit's 管理者, its 責任者 and the administrators, seen as the
    // unit's answers are, decided by the CISO alone and never on their own request (the
    // fixture's are the officer's).
    row("GET",  "/exceptions", "/exceptions", &[],                                            [200, 200, 200, 200, 200, 200, 200, 200, 403, 200, L  ]),
    row("POST", "/exceptions", "/exceptions", &[("unit", "{unit_a1}"), ("measure", "M-1.1.1"), ("reason", "更新待ち{who}"), ("compensating", "分離"), ("until", "2030-03-31")],
                                                                                               [GO,  GO,  GO,  GO,  403, 403, 403, 403, 403, 403, L  ]),
    row("GET",  "/exceptions/{id}", "/exceptions/{exception}", &[],                           [200, 200, 200, 200, 404, 200, 200, 404, 404, 404, L  ]),
    row("GET",  "/exceptions/{id}", "/exceptions/99999999", &[],                              [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, L  ]),
    row("POST", "/exceptions/{id}/decide", "/exceptions/{exception_open}/decide", &[("decision", "approve"), ("note", "許可{who}")],
                                                                                               [GO,  403, 403, 403, 404, 403, 403, 404, 404, 404, L  ]),
    // 見直し: read by the security roles, recorded by the administrators.
    row("GET",  "/reviews", "/reviews", &[],                                                  [200, 200, 200, 200, 403, 200, 200, 403, 403, 403, L  ]),
    row("POST", "/reviews", "/reviews", &[("title", "見直し{who}"), ("held_on", "2027-02-15"), ("inspections", "{inspection}")],
                                                                                               [GO,  GO,  403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("GET",  "/reviews/{id}", "/reviews/{review}", &[],                                    [200, 200, 200, 200, 403, 200, 200, 403, 403, 403, L  ]),
    row("GET",  "/reviews/{id}", "/reviews/99999999", &[],                                    [404, 404, 404, 404, 403, 404, 404, 403, 403, 403, L  ]),
    row("POST", "/reviews/{id}/versions", "/reviews/{review}/versions", &[("policy", "{policy_basic}"), ("version", "1")],
                                                                                               [GO,  GO,  403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("POST", "/reviews/{id}/incidents", "/reviews/{review}/incidents", &[("incidents", "{incident_closed}")],
                                                                                               [GO,  GO,  403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("POST", "/reviews/{id}/incidents", "/reviews/{review}/incidents", &[("incidents", "{incident}")],
                                                                                               [409, 409, 403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    // インシデント: reported by anyone signed in; seen by the reporter, the unit's 管理者 and
    // 責任者, the CSIRT and the administrators (the fixture's: the staff of unit A1's); triaged
    // by the CSIRT and the administrators.
    // お知らせ: everyone's own notices and digest switch; the outbox is shown to administrators
    // on the same page.
    row("GET",  "/notices", "/notices", &[],                                                  [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, L  ]),
    row("POST", "/notices/digest", "/notices/digest", &[("digest", "on")],                    [GO,  GO,  GO,  GO,  GO,  GO,  GO,  GO,  GO,  GO,  L  ]),
    row("GET",  "/emergency-contacts", "/emergency-contacts", &[],                            [200, 200, 200, 200, 200, 200, 200, 200, 403, 200, L  ]),
    row("GET",  "/incidents", "/incidents", &[],                                              [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, L  ]),
    row("POST", "/incidents", "/incidents", &[("title", "紛失{who}")],                        [GO,  GO,  GO,  GO,  GO,  GO,  GO,  GO,  GO,  GO,  L  ]),
    row("GET",  "/incidents/{id}", "/incidents/{incident}", &[],                              [200, 200, 200, 200, 404, 200, 404, 200, 404, 404, L  ]),
    row("GET",  "/incidents/{id}", "/incidents/99999999", &[],                                [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, L  ]),
    // 委託事業者 and 指定管理者: managed by the administrators; read by the roles that oversee
    // third parties (the officer of organisation A, the 管理者 of unit A1, the auditors); the
    // contract of unit A1 also by the contractor it lists; verified by the unit's 管理者, its
    // 責任者 and the administrators, never by the contractor checked.
    row("GET",  "/contractors", "/contractors", &[],                                          [200, 200, 200, 200, 403, 403, 200, 403, 403, 403, L  ]),
    row("POST", "/contractors", "/contractors", &[("name", "委託先{who}")],                   [GO,  GO,  403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("GET",  "/contractors/{id}", "/contractors/{contractor}", &[],                        [200, 200, 200, 200, 403, 403, 200, 403, 403, 403, L  ]),
    row("GET",  "/contractors/{id}", "/contractors/99999999", &[],                            [404, 404, 404, 404, 403, 403, 404, 403, 403, 403, L  ]),
    row("POST", "/contractors/{id}", "/contractors/{contractor}", &[("name", "株式会社まもり保守"), ("phone", "03-1234-5678")],
                                                                                               [GO,  GO,  403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("GET",  "/contracts", "/contracts", &[],                                              [200, 200, 200, 200, 403, 403, 200, 403, 200, 403, L  ]),
    row("POST", "/contracts", "/contracts",
        &[("contractor", "{contractor}"), ("title", "契約{who}"), ("unit", "{unit_a1}"), ("starts_on", "2026-04-01"), ("ends_on", "2027-03-31"), ("requirement-confidentiality", "1")],
                                                                                               [GO,  GO,  403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("GET",  "/contracts/{id}", "/contracts/{contract}", &[],                              [200, 200, 200, 200, 404, 404, 200, 404, 200, 404, L  ]),
    row("GET",  "/contracts/{id}", "/contracts/99999999", &[],                                [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, L  ]),
    row("POST", "/contracts/{id}", "/contracts/{contract}",
        &[("contractor", "{contractor}"), ("title", "庁内ポータル保守"), ("unit", "{unit_a1}"), ("starts_on", "2026-04-01"), ("ends_on", "2027-03-31"),
          ("requirement-confidentiality", "1"), ("requirement-incident_reporting", "1"), ("assets", "{asset_open_a1}"), ("people", "{contractor_person}")],
                                                                                               [GO,  GO,  403, 403, 404, 404, 403, 404, 403, 404, L  ]),
    row("POST", "/contracts/{id}/verifications", "/contracts/{contract}/verifications",
        &[("requirement", "confidentiality"), ("outcome", "met"), ("checked_on", "2026-11-20"), ("note", "誓約書{who}")],
                                                                                               [GO,  GO,  GO,  GO,  404, 404, 403, 404, 403, 404, L  ]),
    row("GET",  "/designated-managers", "/designated-managers", &[],                          [200, 200, 200, 200, 403, 403, 200, 403, 200, 403, L  ]),
    row("POST", "/designated-managers", "/designated-managers",
        &[("title", "施設{who}"), ("managing_body", "指定管理者{who}"), ("unit", "{unit_a1}"), ("starts_on", "2026-04-01"), ("ends_on", "2031-03-31")],
                                                                                               [GO,  GO,  403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("GET",  "/designated-managers/{id}", "/designated-managers/{designated}", &[],        [200, 200, 200, 200, 404, 404, 200, 404, 404, 404, L  ]),
    row("GET",  "/designated-managers/{id}", "/designated-managers/{contract}", &[],          [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, L  ]),
    row("POST", "/designated-managers/{id}", "/designated-managers/{designated}",
        &[("title", "区民文化センター"), ("managing_body", "公益財団法人まもり文化振興会"), ("unit", "{unit_a1}"), ("starts_on", "2026-04-01"), ("ends_on", "2027-03-31"), ("requirement-confidentiality", "1")],
                                                                                               [GO,  GO,  403, 403, 404, 404, 403, 404, 404, 404, L  ]),
    row("POST", "/designated-managers/{id}/verifications", "/designated-managers/{designated}/verifications",
        &[("requirement", "confidentiality"), ("outcome", "partly"), ("checked_on", "2026-11-20"), ("link", "https://portal.example.lg.jp/check/{who}")],
                                                                                               [GO,  GO,  GO,  GO,  404, 404, 403, 404, 404, 404, L  ]),
    row("POST", "/incidents/{id}/triage", "/incidents/{incident}/triage", &[("severity", "high")],
                                                                                               [GO,  GO,  403, 403, 404, GO,  404, 403, 404, 404, L  ]),
    row("POST", "/incidents/{id}/events", "/incidents/{incident}/events", &[("step", "note"), ("note", "記録{who}")],
                                                                                               [GO,  GO,  403, 403, 404, GO,  404, 403, 404, 404, L  ]),
    // 対応タスク: added by those who triage; done by its owner (the member of staff) or them.
    row("POST", "/incidents/{id}/tasks", "/incidents/{incident}/tasks", &[("title", "作業{who}"), ("owner", "{person_a1}"), ("due_on", "2030-01-31")],
                                                                                               [GO,  GO,  403, 403, 404, GO,  404, 403, 404, 404, L  ]),
    row("POST", "/incidents/{id}/tasks/{task}/done", "/incidents/{incident}/tasks/{incident_task}/done", &[],
                                                                                               [GO,  GO,  403, 403, 404, GO,  404, GO,  404, 404, L  ]),
    // インシデント候補: read by those who triage, decided by the CSIRT and the CISO.
    row("GET",  "/incident-candidates", "/incident-candidates", &[],                          [200, 200, 403, 403, 403, 200, 403, 403, 403, 403, L  ]),
    row("POST", "/incident-candidates/{id}/open", "/incident-candidates/{candidate_open}/open", &[("title", "不審メール{who}")],
                                                                                               [GO,  403, 403, 403, 403, GO,  403, 403, 403, 403, L  ]),
    row("POST", "/incident-candidates/{id}/dismiss", "/incident-candidates/{candidate_dismiss}/dismiss", &[("reason", "誤検知{who}")],
                                                                                               [GO,  403, 403, 403, 403, GO,  403, 403, 403, 403, L  ]),
    row("POST", "/incident-candidates/{id}/dismiss", "/incident-candidates/99999999/dismiss", &[("reason", "誤検知")],
                                                                                               [404, 404, 403, 403, 403, 404, 403, 403, 403, 403, L  ]),
    // 教訓: once closed, by those who triage.
    row("POST", "/incidents/{id}/lessons", "/incidents/{incident}/lessons", &[("lessons", "教訓{who}")],
                                                                                               [409, 409, 403, 403, 404, 409, 404, 403, 404, 404, L  ]),
    row("POST", "/incidents/{id}/lessons", "/incidents/{incident_closed}/lessons", &[("lessons", "教訓{who}")],
                                                                                               [GO,  GO,  403, 403, 404, GO,  404, 403, 404, 404, L  ]),
    // 研修: everyone's own list; the courses read by the staff and managed by the
    // administrators; a unit's members read by whoever oversees it (unit A1: the officer of
    // organisation A, its 管理者, the auditor); a completion by the person themself, or by an
    // administrator (the spare person of unit A2: refused to those who see the unit, hidden from
    // the rest); the import is an upload.
    row("GET",  "/training", "/training", &[],                                                [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, L  ]),
    row("POST", "/training", "/training", &[("code", "X-{who}"), ("title", "研修{who}"), ("due_on", "2027-03-31")],
                                                                                               [GO,  GO,  403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("GET",  "/training/courses/{id}", "/training/courses/{course}", &[],                  [200, 200, 200, 200, 200, 200, 200, 200, 403, 200, L  ]),
    row("GET",  "/training/courses/{id}", "/training/courses/99999999", &[],                  [404, 404, 404, 404, 404, 404, 404, 404, 403, 404, L  ]),
    row("POST", "/training/courses/{id}/assign", "/training/courses/{course}/assign", &[],    [GO,  GO,  403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("GET",  "/training/courses/{id}/units/{unit}", "/training/courses/{course}/units/{unit_a1}", &[],
                                                                                               [200, 200, 200, 200, 403, 403, 200, 403, 403, 403, L  ]),
    row("GET",  "/training/courses/{id}/units/{unit}", "/training/courses/{course}/units/99999999", &[],
                                                                                               [404, 404, 404, 404, 404, 404, 404, 404, 403, 404, L  ]),
    row("POST", "/training/assignments/{id}/complete", "/training/assignments/{assignment_spare}/complete", &[],
                                                                                               [GO,  GO,  403, 404, 404, 404, 403, 404, 404, 404, L  ]),
    row("POST", "/training/assignments/{id}/complete", "/training/assignments/{assignment_own}/complete", &[("completed_on", "")],
                                                                                               [GO,  GO,  GO,  GO,  GO,  GO,  GO,  GO,  404, GO,  L  ]),
    row("POST", "/training/import", "/training/import", &[("file", "email,course,completed_on")],
                                                                                               [415, 415, 403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    // 外部サービス and SNSアカウント: read by every member of staff; services registered by the
    // administrators and kept by the unit's 管理者 and its 責任者 (the fixture's: unit A1's);
    // accounts registered by the administrators and reviewed by the owner's unit too.
    row("GET",  "/cloud-services", "/cloud-services", &[],                                    [200, 200, 200, 200, 200, 200, 200, 200, 403, 200, L  ]),
    row("POST", "/cloud-services", "/cloud-services", &[("provider", "事業者"), ("name", "サービス{who}"), ("class-1", "1"), ("unit", "{unit_a1}")],
                                                                                               [GO,  GO,  403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("GET",  "/cloud-services/{id}", "/cloud-services/{cloud}", &[],                       [200, 200, 200, 200, 200, 200, 200, 200, 403, 200, L  ]),
    row("GET",  "/cloud-services/{id}", "/cloud-services/99999999", &[],                      [404, 404, 404, 404, 404, 404, 404, 404, 403, 404, L  ]),
    row("POST", "/cloud-services/{id}", "/cloud-services/{cloud_empty}", &[("provider", "クラウド株式会社"), ("name", "改{who}"), ("class-2", "1"), ("unit", "{unit_a1}")],
                                                                                               [GO,  GO,  GO,  GO,  403, 403, 403, 403, 403, 403, L  ]),
    row("POST", "/cloud-services/{id}/assets", "/cloud-services/{cloud_empty}/assets", &[("asset", "{asset_secret_a1}")],
                                                                                               [GO,  GO,  GO,  GO,  403, 403, 403, 403, 403, 403, L  ]),
    row("POST", "/cloud-services/{id}/assets/{asset}/remove", "/cloud-services/{cloud_placed}/assets/{asset_open_a1}/remove", &[],
                                                                                               [GO,  GO,  GO,  GO,  403, 403, 403, 403, 403, 403, L  ]),
    row("GET",  "/social-media-accounts", "/social-media-accounts", &[],                      [200, 200, 200, 200, 200, 200, 200, 200, 403, 200, L  ]),
    row("POST", "/social-media-accounts", "/social-media-accounts", &[("platform", "X"), ("account_name", "@{who}"), ("url", "https://x.com/{who}"), ("owner", "{person_a1}"), ("rules", "承認済みのみ")],
                                                                                               [GO,  GO,  403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("GET",  "/social-media-accounts/{id}", "/social-media-accounts/{social_account}", &[], [200, 200, 200, 200, 200, 200, 200, 200, 403, 200, L  ]),
    row("GET",  "/social-media-accounts/{id}", "/social-media-accounts/99999999", &[],        [404, 404, 404, 404, 404, 404, 404, 404, 403, 404, L  ]),
    row("POST", "/social-media-accounts/{id}", "/social-media-accounts/{social_account}", &[("platform", "X"), ("account_name", "@fixture"), ("url", "https://x.com/fixture"), ("owner", "{person_a1}"), ("rules", "承認済みのみ{who}"), ("two_factor", "1")],
                                                                                               [GO,  GO,  403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("POST", "/social-media-accounts/{id}/reviews", "/social-media-accounts/{social_account}/reviews", &[("note", "点検{who}")],
                                                                                               [GO,  GO,  GO,  GO,  403, 403, 403, 403, 403, 403, L  ]),
    // 不正通信の監視: read by the CSIRT, the administrators and the auditors; alerts handled by
    // the CSIRT; the matrix and the settings edited by the administrators.
    row("GET",  "/monitor/alerts", "/monitor/alerts", &[],                                    [200, 200, 403, 403, 403, 200, 200, 403, 403, 403, L  ]),
    row("GET",  "/monitor/alerts/{id}", "/monitor/alerts/{alert_ack}", &[],                   [200, 200, 403, 403, 403, 200, 200, 403, 403, 403, L  ]),
    row("GET",  "/monitor/alerts/{id}", "/monitor/alerts/99999999", &[],                      [404, 404, 403, 403, 403, 404, 404, 403, 403, 403, L  ]),
    row("POST", "/monitor/alerts/{id}/acknowledge", "/monitor/alerts/{alert_ack}/acknowledge", &[("note", "調査{who}")],
                                                                                               [403, 403, 403, 403, 403, GO,  403, 403, 403, 403, L  ]),
    row("POST", "/monitor/alerts/{id}/close", "/monitor/alerts/{alert_close}/close", &[("note", "完了{who}")],
                                                                                               [403, 403, 403, 403, 403, GO,  403, 403, 403, 403, L  ]),
    row("POST", "/monitor/alerts/{id}/candidate", "/monitor/alerts/{alert_ack}/candidate", &[],
                                                                                               [403, 403, 403, 403, 403, GO,  403, 403, 403, 403, L  ]),
    row("GET",  "/monitor/settings", "/monitor/settings", &[],                                [200, 200, 403, 403, 403, 200, 200, 403, 403, 403, L  ]),
    row("POST", "/monitor/settings", "/monitor/settings", &[("resolvers", "10.10.0.53"), ("window_secs", "60"), ("hosts", "100"), ("ports", "100"), ("unregistered_window_secs", "3600"), ("evidence_samples", "5")],
                                                                                               [GO,  GO,  403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("GET",  "/monitor/segments/{code}", "/monitor/segments/LGWAN", &[],                   [200, 200, 403, 403, 403, 200, 200, 403, 403, 403, L  ]),
    row("GET",  "/segments/crossing", "/segments/crossing", &[],                              [200, 200, 403, 403, 403, 200, 200, 403, 403, 403, L  ]),
    row("POST", "/segments/crossing/preset", "/segments/crossing/preset", &[("model", "beta"), ("gateway", "10.10.0.25"), ("confirm", "1")],
                                                                                               [GO,  GO,  403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("POST", "/segments/crossing", "/segments/crossing", &[("from", "LGWAN"), ("to", "*INTERNET"), ("allow", "only"), ("services", "udp/53@192.0.2.53"), ("note", "{who}")],
                                                                                               [GO,  GO,  403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("POST", "/segments/crossing/remove", "/segments/crossing/remove", &[("from", "*INTERNET"), ("to", "NOWHERE")],
                                                                                               [404, 404, 403, 403, 403, 403, 403, 403, 403, 403, L  ]),
    row("GET",  "/static/{file}", "/static/app.css", &[],                                     [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    row("GET",  "/healthz", "/healthz", &[],                                                  [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    row("GET",  "/metrics", "/metrics", &[],                                                  [403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403]),
    // Last: it ends every session of the matrix.
    row("POST", "/logout", "/logout", &[],                                                    [L,   L,   L,   L,   L,   L,   L,   L,   L,   L,   L  ]),
];

#[tokio::test]
async fn role_route_matrix() {
    let app = App::new().await;
    let browsers = everyone(&app).await;
    let mut mismatches = String::new();
    let mut cells = 0;
    for row in MATRIX {
        let path_templ = row.path;
        for who in EVERYONE {
            let path = app.fill(path_templ, who);
            let values: Vec<String> = row.body.iter().map(|(_, v)| app.fill(v, who)).collect();
            let pairs: Vec<(&str, &str)> = row
                .body
                .iter()
                .zip(&values)
                .map(|((k, _), v)| (*k, v.as_str()))
                .collect();
            let response = request(&app, row.method, &path, &browsers[who.index()], &pairs).await;
            let expected = row.expect[who.index()];
            let got = outcome(&response);
            let matches = if expected == GO {
                // A disposal is recorded once: after the first role, an authorised one meets
                // the store's refusal (409), not a 403/404.
                got == GO || (row.route == "/assets/{id}/dispose" && got == 409)
            } else {
                got == expected
            };
            cells += 1;
            if let Some(problem) = header_problems(&response) {
                let _ = writeln!(
                    mismatches,
                    "{} {path} as {}: {problem}",
                    row.method,
                    who.name()
                );
            }
            if !matches {
                let _ = writeln!(
                    mismatches,
                    "{:<5} {:<45} {:<11} expected {:<6} got {:<6} {}",
                    row.method,
                    path,
                    who.name(),
                    show(expected),
                    show(got),
                    response.location().unwrap_or_default()
                );
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "role × route matrix: mismatching cells (of {cells}):\n{mismatches}"
    );
}

/// Every route that `mamori_web::router` declares (outside the JSON API) has rows in the matrix:
/// the routes of `lib.rs` and of every feature's `mod.rs`.
#[test]
fn matrix_covers_every_route_of_the_router() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut source = std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs");
    for entry in std::fs::read_dir(&src).expect("src") {
        let module = entry.expect("entry").path().join("mod.rs");
        if module.exists() {
            source.push_str(&std::fs::read_to_string(module).expect("mod.rs"));
        }
    }
    let mut declared = BTreeSet::new();
    for chunk in source.split(".route(").skip(1) {
        let path = chunk.split('"').nth(1).expect("route path literal");
        let call = chunk.split(".route(").next().unwrap_or(chunk);
        let call = call.split("pages\n").next().unwrap_or(call);
        for (needle, method) in [("get(", "GET"), ("post(", "POST")] {
            if call.contains(needle) {
                declared.insert((method, path.to_owned()));
            }
        }
    }
    assert!(declared.len() > 20, "parsed the router: {declared:?}");
    let covered: BTreeSet<_> = MATRIX
        .iter()
        .map(|r| (r.method, r.route.to_owned()))
        .collect();
    let missing: Vec<_> = declared.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "routes without matrix rows: {missing:?}"
    );
    let unknown: Vec<_> = covered.difference(&declared).collect();
    assert!(unknown.is_empty(), "matrix rows for no route: {unknown:?}");
}

/// Broken variants of every form of the matrix, sent by every user: none may answer 5xx.
#[tokio::test]
async fn no_route_answers_500_for_any_role() {
    let app = App::new().await;
    let browsers = everyone(&app).await;
    let huge = "長".repeat(20_000);
    let garbage: [&str; 6] = [
        "",
        "-1",
        "99999999999999999999",
        "abc\u{0}\u{7}def",
        "名前\u{202E}fdp.exe",
        huge.as_str(),
    ];
    let mut failures = String::new();
    for row in MATRIX {
        for who in EVERYONE {
            let path = app.fill(row.path, who);
            for value in garbage {
                let pairs: Vec<(&str, &str)> = row.body.iter().map(|(k, _)| (*k, value)).collect();
                let response =
                    request(&app, row.method, &path, &browsers[who.index()], &pairs).await;
                if response.status.is_server_error() {
                    let _ = writeln!(
                        failures,
                        "{} {path} as {} with {:?}: {}",
                        row.method,
                        who.name(),
                        value.chars().take(20).collect::<String>(),
                        response.status
                    );
                }
            }
        }
    }
    assert!(failures.is_empty(), "5xx answers:\n{failures}");
}

// ---------------------------------------------------------------------------------------------
// 2. CSRF

fn csrf_message(lang: Lang) -> &'static str {
    lang.t("error.csrf")
}

#[tokio::test]
async fn state_changing_routes_refuse_missing_or_wrong_csrf_tokens_and_change_nothing() {
    let app = App::new().await;
    let ciso = app.login(Who::Ciso).await;
    let seq_before = app.last_audit_seq().await;
    let people_before = app.people_count().await;
    let wrong = random_token(&mut OsRng);
    let mut failures = String::new();
    let mut routes = 0;
    for row in MATRIX.iter().filter(|r| r.method == "POST") {
        routes += 1;
        let path = app.fill(row.path, Who::Ciso);
        let values: Vec<String> = row
            .body
            .iter()
            .map(|(_, v)| app.fill(v, Who::Ciso))
            .collect();
        let pairs: Vec<(&str, &str)> = row
            .body
            .iter()
            .zip(&values)
            .map(|((k, _), v)| (*k, v.as_str()))
            .collect();
        let mut with_wrong = vec![("_csrf", wrong.as_str())];
        with_wrong.extend_from_slice(&pairs);
        let mut with_right = vec![("_csrf", ciso.csrf.as_str())];
        with_right.extend_from_slice(&pairs);
        let attempts = [
            ("missing", None, form(&pairs)),
            ("wrong", None, form(&with_wrong)),
            (
                "empty",
                None,
                form(&[&[("_csrf", "")], &pairs[..]].concat()),
            ),
            // A header, when present, is what counts.
            ("wrong header", Some(wrong.as_str()), form(&with_right)),
        ];
        for (what, header_token, body) in attempts {
            let mut request = Request::post(&path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, &ciso.cookie);
            if let Some(token) = header_token {
                request = request.header("x-csrf-token", token);
            }
            let response = app
                .send(request.body(Body::from(body)).unwrap(), ciso.address)
                .await;
            if response.status != StatusCode::FORBIDDEN
                || !response.text().contains(csrf_message(Lang::Ja))
            {
                let _ = writeln!(failures, "{path} ({what} token): {}", response.status);
            }
        }
    }
    assert!(routes >= 20, "every state-changing route is tried");
    assert!(failures.is_empty(), "CSRF not enforced:\n{failures}");
    assert_eq!(
        app.last_audit_seq().await,
        seq_before,
        "nothing was recorded"
    );
    assert_eq!(
        app.people_count().await,
        people_before,
        "nothing was created"
    );
    let still = app.get("/account", Some(&ciso)).await;
    assert_eq!(
        still.status,
        StatusCode::OK,
        "logout without a token ends nothing"
    );

    // The same request with the page's token goes through, so the refusals above were the token's.
    let accepted = app
        .post(
            "/people",
            &ciso,
            &[
                ("name", "新人 確認"),
                ("unit_id", &app.fx.unit_a1.to_string()),
            ],
        )
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER);
    assert_eq!(app.people_count().await, people_before + 1);
    let by_header = app
        .send(
            Request::post("/account/language")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, &ciso.cookie)
                .header("x-csrf-token", &ciso.csrf)
                .body(Body::from("language=en"))
                .unwrap(),
            ciso.address,
        )
        .await;
    assert_eq!(
        by_header.status,
        StatusCode::SEE_OTHER,
        "token in the header"
    );
}

#[tokio::test]
async fn login_form_without_the_pre_session_cookie_is_refused() {
    let app = App::new().await;
    let visitor = app.visitor(Who::Staff.address()).await;
    let credentials = [("username", "staff"), ("password", PASSWORD)];
    // The token of the page, but not the cookie it belongs to.
    let no_cookie = Browser {
        cookie: String::new(),
        ..visitor.clone()
    };
    let response = app.post("/login", &no_cookie, &credentials).await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert!(response.set_cookie("mamori_session").is_none());
    // A cookie that does not match the form's token.
    let other = Browser {
        cookie: format!("mamori_pre={}", random_token(&mut OsRng)),
        ..visitor.clone()
    };
    let response = app.post("/login", &other, &credentials).await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert!(response.set_cookie("mamori_session").is_none());
    assert!(app.audit("login.success").await.is_empty());
    // With both, the same credentials log in.
    let response = app.post("/login", &visitor, &credentials).await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    assert!(response.set_cookie("mamori_session").is_some());
}

// ---------------------------------------------------------------------------------------------
// 3. Sessions and the second factor

#[tokio::test]
async fn login_issues_a_fresh_session_and_logout_ends_it_on_the_server() {
    let app = App::new().await;
    let mut visitor = app.visitor(Who::Staff.address()).await;
    let planted = "planted0by0an0attacker0planted0by0an0attacker";
    visitor.cookie = format!("{}; mamori_session={planted}", visitor.cookie);
    let response = app
        .post(
            "/login",
            &visitor,
            &[("username", "staff"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    let token = response.set_cookie("mamori_session").expect("new session");
    assert_ne!(token, planted);
    assert_ne!(token, visitor.csrf, "not the pre-session token either");
    let browser = app.browser_from(&response, visitor.address).await;
    assert_ne!(
        browser.csrf, visitor.csrf,
        "the session has its own CSRF token"
    );
    let old = browser.clone();
    let user = app.fx.user(Who::Staff);
    let live = |sessions: Vec<mamori_store::Session>| -> Vec<i64> {
        sessions
            .into_iter()
            .filter(|s| s.address != "fixture")
            .map(|s| s.id)
            .collect()
    };
    assert_eq!(live(app.store.list_sessions(user).await.unwrap()).len(), 1);

    let out = app.post("/logout", &browser, &[]).await;
    assert!(out.is_login_redirect());
    assert_eq!(out.set_cookie("mamori_session").as_deref(), Some(""));
    // The browser could keep the cookie; the server no longer knows it.
    for path in ["/", "/account", "/people"] {
        assert!(
            app.get(path, Some(&old)).await.is_login_redirect(),
            "{path} after logout"
        );
    }
    let replay = app
        .post("/account/language", &old, &[("language", "en")])
        .await;
    assert!(
        replay.status == StatusCode::FORBIDDEN || replay.is_login_redirect(),
        "{}",
        replay.status
    );
    assert!(live(app.store.list_sessions(user).await.unwrap()).is_empty());
}

fn recovery_codes(html: &str) -> Vec<String> {
    let start = html
        .find("id=\"recovery-codes\"")
        .expect("recovery codes shown");
    let list = &html[start..html[start..].find("</ul>").unwrap() + start];
    list.split("<code>")
        .skip(1)
        .map(|c| c.split('<').next().unwrap().to_owned())
        .collect()
}

/// Enrols a TOTP factor for the signed-in browser; returns the secret and the recovery codes.
async fn enrol_totp(app: &App, browser: &Browser) -> (TotpSecret, Vec<String>) {
    let page = app.get("/account/totp", Some(browser)).await;
    assert_eq!(page.status, StatusCode::OK);
    let secret_text = element_text(&page.text(), "totp-secret").expect("secret on the page");
    let secret = TotpSecret::from_base32(&secret_text).expect("base32 secret");
    let code = secret.code_at(app.clock.unix_secs());
    let done = app
        .post(
            "/account/totp",
            browser,
            &[
                ("secret", &secret_text),
                ("code", &code),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK);
    let codes = recovery_codes(&done.text());
    assert_eq!(codes.len(), 10);
    (secret, codes)
}

/// Logs in with the password only: a browser holding a second-factor-pending session.
async fn pending_login(app: &App, who: Who) -> Browser {
    let response = app.try_login(who.name(), PASSWORD, who.address()).await;
    assert_eq!(
        (response.status, response.location()),
        (StatusCode::SEE_OTHER, Some("/login/totp"))
    );
    let cookie = format!(
        "mamori_session={}",
        response.set_cookie("mamori_session").unwrap()
    );
    let mut browser = Browser {
        cookie,
        csrf: String::new(),
        address: who.address(),
    };
    let page = app.get("/login/totp", Some(&browser)).await;
    assert_eq!(page.status, StatusCode::OK);
    browser.csrf = hidden_csrf(&page.text()).expect("token on the code form");
    browser
}

#[tokio::test]
async fn second_factor_pending_sessions_reach_no_page_and_codes_work_once() {
    let app = App::new().await;
    let staff = app.login(Who::Staff).await;
    let (secret, recovery) = enrol_totp(&app, &staff).await;
    app.post("/logout", &staff, &[]).await;
    app.clock.advance_secs(120);

    let pending = pending_login(&app, Who::Staff).await;
    for path in ["/", "/account", "/people", "/people/1", "/account/totp"] {
        assert!(
            app.get(path, Some(&pending)).await.is_login_redirect(),
            "{path} with a pending session"
        );
    }
    let change = app
        .post("/account/language", &pending, &[("language", "en")])
        .await;
    assert!(change.is_login_redirect(), "{}", change.status);

    let code = secret.code_at(app.clock.unix_secs());
    let done = app.post("/login/totp", &pending, &[("code", &code)]).await;
    assert_eq!(
        (done.status, done.location()),
        (StatusCode::SEE_OTHER, Some("/"))
    );
    let token = done.set_cookie("mamori_session").expect("a new session");
    assert_ne!(format!("mamori_session={token}"), pending.cookie);
    let full = app.browser_from(&done, pending.address).await;
    assert_eq!(app.get("/people", Some(&full)).await.status, StatusCode::OK);
    assert!(
        app.get("/login/totp", Some(&pending))
            .await
            .is_login_redirect(),
        "the pending session is gone"
    );
    app.post("/logout", &full, &[]).await;

    // The same code again, within its time window: refused.
    let again = pending_login(&app, Who::Staff).await;
    let replay = app.post("/login/totp", &again, &[("code", &code)]).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert!(replay.text().contains(Lang::Ja.t("login.totp_failed")));
    assert!(replay.set_cookie("mamori_session").is_none());

    // A recovery code works once.
    let first = app
        .post(
            "/login/totp",
            &again,
            &[("code", &recovery[0].to_uppercase())],
        )
        .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.text());
    let full = app.browser_from(&first, again.address).await;
    app.post("/logout", &full, &[]).await;
    let third = pending_login(&app, Who::Staff).await;
    let reused = app
        .post("/login/totp", &third, &[("code", &recovery[0])])
        .await;
    assert_eq!(reused.status, StatusCode::UNAUTHORIZED);
    let other = app
        .post("/login/totp", &third, &[("code", &recovery[1])])
        .await;
    assert_eq!(other.status, StatusCode::SEE_OTHER);

    let successes = app.audit("login.success").await;
    let factors: Vec<_> = successes
        .iter()
        .filter_map(|r| r.event.detail.get("second_factor").cloned())
        .collect();
    assert_eq!(factors.len(), 3, "{factors:?}");
}

#[tokio::test]
async fn totp_code_used_for_enrolment_cannot_log_in_again() {
    let app = App::new().await;
    let staff = app.login(Who::Staff).await;
    let enrolled_at = app.clock.unix_secs();
    let (secret, _) = enrol_totp(&app, &staff).await;
    app.post("/logout", &staff, &[]).await;
    let pending = pending_login(&app, Who::Staff).await;
    let code = secret.code_at(enrolled_at);
    let replay = app.post("/login/totp", &pending, &[("code", &code)]).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    // The next code is fine.
    app.clock.advance_secs(30);
    let next = secret.code_at(app.clock.unix_secs());
    let done = app.post("/login/totp", &pending, &[("code", &next)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
}

// ---------------------------------------------------------------------------------------------
// 4. Guessing ids

#[tokio::test]
async fn staff_cannot_tell_people_of_other_units_from_missing_ids() {
    let app = App::new().await;
    let staff = app.login(Who::Staff).await;
    let missing = app.get("/people/99999999", Some(&staff)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.text().contains(Lang::Ja.t("error.not_found")));
    let grant = authorize::<ViewDirectory>(&admin_actor(), &()).unwrap();
    let (people, total) = app
        .store
        .list_people(
            &grant,
            &PeopleFilter {
                limit: 1000,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(people.len() as i64, total);
    let reads_before = app.audit("person.read").await.len();
    let mut probed = 0;
    for person in people.iter().filter(|p| p.unit_id != Some(app.fx.unit_a1)) {
        let response = app
            .get(&format!("/people/{}", person.id), Some(&staff))
            .await;
        assert_eq!(response.status, missing.status, "person {}", person.id);
        assert_eq!(
            response.bytes, missing.bytes,
            "person {} answers like a missing id",
            person.id
        );
        probed += 1;
    }
    assert!(probed >= 15, "probed {probed}");
    assert_eq!(app.audit("person.read").await.len(), reads_before);

    let colleague = app
        .get(&format!("/people/{}", app.fx.person_a1), Some(&staff))
        .await;
    assert_eq!(colleague.status, StatusCode::OK);
    assert!(colleague.text().contains("同僚 一郎"));
    let reads = app.audit("person.read").await;
    assert!(
        reads
            .iter()
            .any(|r| r.event.target_id == app.fx.person_a1.to_string()
                && r.event.actor_name == "staff"
                && r.event.unit_id == Some(app.fx.unit_a1)),
        "the read is in the audit trail"
    );
}

// ---------------------------------------------------------------------------------------------
// 5. Login

#[tokio::test]
async fn failed_logins_are_throttled_per_account_and_address() {
    let app = App::new().await;
    let address = SocketAddr::from(([192, 0, 2, 1], 5000));
    for _ in 0..5 {
        let response = app.try_login("staff", "not the password", address).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED);
        assert!(response.text().contains(Lang::Ja.t("login.failed")));
    }
    // The sixth attempt from that address is refused even with the right password.
    let response = app.try_login("STAFF", PASSWORD, address).await;
    assert_eq!(response.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(response.text().contains(Lang::Ja.t("login.throttled")));
    assert!(response.set_cookie("mamori_session").is_none());
    // Other accounts from the same address are not affected, and the window passes.
    let other = app.try_login("csirt", PASSWORD, address).await;
    assert_eq!(other.status, StatusCode::SEE_OTHER);
    app.clock.advance_secs(16 * 60);
    let later = app.try_login("staff", PASSWORD, address).await;
    assert_eq!(later.status, StatusCode::SEE_OTHER);
    let throttled = app.audit("login.failed").await;
    assert!(
        throttled
            .iter()
            .any(|r| r.event.detail["reason"] == "throttled")
    );
}

#[tokio::test]
async fn a_stranger_cannot_lock_a_known_account_out_from_elsewhere() {
    let app = App::new().await;
    let stranger = SocketAddr::from(([203, 0, 113, 9], 5000));
    for _ in 0..5 {
        let response = app.try_login("staff", "not the password", stranger).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        app.try_login("staff", PASSWORD, stranger).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // The account's owner, from their own address, still logs in.
    let own = app.try_login("staff", PASSWORD, Who::Staff.address()).await;
    assert_eq!(own.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn an_account_is_throttled_everywhere_after_fifty_failures() {
    let app = App::new().await;
    // Fifty failures spread over many addresses, none of them throttled by itself.
    for i in 0..50u8 {
        let address = SocketAddr::from(([192, 0, 2, i + 1], 5000));
        let response = app.try_login("staff", "not the password", address).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let address = SocketAddr::from(([198, 51, 100, 200], 5000));
    let response = app.try_login("staff", PASSWORD, address).await;
    assert_eq!(response.status, StatusCode::TOO_MANY_REQUESTS);
    let other = app.try_login("csirt", PASSWORD, address).await;
    assert_eq!(other.status, StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_passwords_are_counted_before_they_are_verified() {
    let app = Arc::new(App::new().await);
    let address = SocketAddr::from(([192, 0, 2, 50], 5000));
    let visitor = app.visitor(address).await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let app = app.clone();
        let body = form(&[
            ("_csrf", visitor.csrf.as_str()),
            ("username", "staff"),
            ("password", &format!("wrong guess {i}")),
        ]);
        let browser = Browser {
            cookie: visitor.cookie.clone(),
            csrf: visitor.csrf.clone(),
            address,
        };
        tasks.push(tokio::spawn(async move {
            app.post_raw("/login", &browser, body).await.status
        }));
    }
    let mut wrong = 0;
    let mut throttled = 0;
    for task in tasks {
        match task.await.unwrap() {
            StatusCode::UNAUTHORIZED => wrong += 1,
            StatusCode::TOO_MANY_REQUESTS => throttled += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert!(wrong <= 5, "{wrong} wrong-password answers");
    assert_eq!(wrong + throttled, 40);
}

/// Where the process's resident memory stands, in KiB.
fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// Runs in a process of its own (started by the test below), so that no other test moves its
/// memory: 2,000 refused logins with distinct names of a mebibyte each.
#[tokio::test]
async fn oversized_names_child() {
    if std::env::var_os("MAMORI_RSS_CHILD").is_none() {
        return;
    }
    let app = App::new().await;
    let address = SocketAddr::from(([198, 51, 100, 66], 5000));
    for i in 0..20 {
        app.try_login(&format!("guess{i}"), "not the password", address)
            .await;
    }
    let visitor = app.visitor(address).await;
    let base = form(&[
        ("_csrf", visitor.csrf.as_str()),
        ("password", "x"),
        ("username", &"n".repeat(1024 * 1024 - 200)),
    ])
    .into_bytes();
    let at = base.len() - 8;
    let send = |i: usize| {
        let mut body = base.clone();
        body[at..].copy_from_slice(format!("{i:08}").as_bytes());
        app.post_raw("/login", &visitor, body)
    };
    for i in 0..20 {
        send(i).await;
    }
    let before = resident_kib();
    for i in 20..2020 {
        let response = send(i).await;
        assert_eq!(
            response.status,
            StatusCode::TOO_MANY_REQUESTS,
            "request {i}"
        );
    }
    let after = resident_kib();
    assert!(
        after <= before + 20 * 1024,
        "resident memory grew from {before} KiB to {after} KiB"
    );
    let refusals = app.audit("login.failed").await;
    let throttled = refusals
        .iter()
        .filter(|r| r.event.detail["reason"] == "throttled")
        .count();
    assert_eq!(throttled, 1, "one audit record per address and window");
    println!("MAMORI_RSS_CHILD_PASSED");
}

#[test]
fn throttled_logins_with_huge_names_leave_memory_flat() {
    let output = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "oversized_names_child",
            "--test-threads=1",
            "--nocapture",
        ])
        .env("MAMORI_RSS_CHILD", "1")
        .output()
        .expect("run the child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("MAMORI_RSS_CHILD_PASSED"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A name longer than any account's, from an address that is not throttled, fails as a wrong
/// password does; only the address counts it, so distinct long names add no key of their own.
#[tokio::test]
async fn an_oversized_name_fails_like_a_wrong_password_and_adds_no_key() {
    let app = App::new().await;
    let address = SocketAddr::from(([198, 51, 100, 77], 5000));
    let visitor = app.visitor(address).await;
    let mut oversized = Vec::new();
    for (i, length) in [257, 4096, 512 * 1024].into_iter().enumerate() {
        let name = format!("{i}{}", "n".repeat(length - 1));
        let response = app
            .post(
                "/login",
                &visitor,
                &[("username", &name), ("password", "not the password")],
            )
            .await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{length} bytes");
        assert!(response.text().contains(Lang::Ja.t("login.failed")));
        assert!(response.set_cookie("mamori_session").is_none());
        assert_eq!(app.throttle.len(), 1, "{length} bytes: the address only");
        oversized.push((name, response));
    }
    let wrong = app
        .post(
            "/login",
            &visitor,
            &[("username", "staff"), ("password", "not the password")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let header_names = |r: &Resp| {
        let mut names: Vec<_> = r.headers.keys().map(|k| k.to_string()).collect();
        names.sort();
        names
    };
    let wrong_body = wrong.text().replace("staff", "NAME");
    for (name, response) in &oversized {
        // The page echoes the first 64 characters of a name, as for any other.
        let shown: String = name.chars().take(64).collect();
        assert_eq!(response.text().replace(&shown, "NAME"), wrong_body);
        assert_eq!(header_names(response), header_names(&wrong));
    }
    let reasons: Vec<_> = app
        .audit("login.failed")
        .await
        .iter()
        .map(|r| {
            r.event.detail["reason"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(
        reasons.iter().filter(|r| *r == "name_too_long").count(),
        3,
        "{reasons:?}"
    );
}

/// A login that succeeds gives back the attempt it reserved: the failures before and after it
/// are throttled as if it had not happened, for the account from that address (5) and for the
/// address (20).
#[tokio::test]
async fn a_successful_login_releases_its_reserved_attempt() {
    let app = App::new().await;
    let address = SocketAddr::from(([192, 0, 2, 60], 5000));
    for i in 0..4 {
        let response = app.try_login("staff", "not the password", address).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "failure {i}");
    }
    let login = app.try_login("staff", PASSWORD, address).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    for i in 0..5 {
        let response = app.try_login("staff", "not the password", address).await;
        assert_eq!(
            response.status,
            StatusCode::UNAUTHORIZED,
            "failure {i} after the login"
        );
    }
    let sixth = app.try_login("staff", "not the password", address).await;
    assert_eq!(sixth.status, StatusCode::TOO_MANY_REQUESTS);
    // Nine failures from the address so far: eleven more reach its limit of twenty.
    for i in 0..11 {
        let response = app
            .try_login(&format!("guess{i}"), "not the password", address)
            .await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "guess {i}");
    }
    let over = app.try_login("guess", "not the password", address).await;
    assert_eq!(over.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn failed_logins_are_throttled_per_address() {
    let app = App::new().await;
    let address = SocketAddr::from(([198, 51, 100, 7], 5000));
    for i in 0..20 {
        let response = app
            .try_login(&format!("guess{i}"), "not the password", address)
            .await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let response = app.try_login("staff", PASSWORD, address).await;
    assert_eq!(response.status, StatusCode::TOO_MANY_REQUESTS);
    let elsewhere = SocketAddr::from(([198, 51, 100, 8], 5000));
    let response = app.try_login("staff", PASSWORD, elsewhere).await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
}

impl App {
    /// A failed login whose request carries `X-Forwarded-For`, from the TCP peer `peer`; answers
    /// the address the audit trail recorded for it.
    async fn failed_login_through(&self, peer: SocketAddr, forwarded: &[&str]) -> String {
        self.failed_login_as("staff", peer, forwarded).await
    }

    async fn failed_login_as(&self, name: &str, peer: SocketAddr, forwarded: &[&str]) -> String {
        let visitor = self.visitor(peer).await;
        let mut request = Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, &visitor.cookie);
        for value in forwarded {
            request = request.header("x-forwarded-for", *value);
        }
        let body = form(&[
            ("_csrf", visitor.csrf.as_str()),
            ("username", name),
            ("password", "not the password"),
        ]);
        let response = self
            .send(request.body(Body::from(body)).unwrap(), peer)
            .await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED);
        let records = self.audit("login.failed").await;
        records
            .iter()
            .max_by_key(|r| r.seq)
            .expect("a record")
            .event
            .address
            .clone()
    }
}

fn behind_proxies() -> WebConfig {
    WebConfig {
        trusted_proxies: vec![
            "10.9.0.0/16".parse().unwrap(),
            "2001:db8:9::/48".parse().unwrap(),
        ],
        ..WebConfig::default()
    }
}

#[tokio::test]
async fn forwarded_for_from_an_untrusted_peer_is_ignored() {
    let app = App::new().await;
    let peer = SocketAddr::from(([198, 51, 100, 30], 5000));
    assert_eq!(
        app.failed_login_through(peer, &["192.0.2.44"]).await,
        "198.51.100.30"
    );
    let app = App::with_config(behind_proxies()).await;
    assert_eq!(
        app.failed_login_through(peer, &["192.0.2.44"]).await,
        "198.51.100.30"
    );
    // A spoofer cannot escape its own throttle by changing the header.
    for i in 1..20 {
        app.failed_login_as(&format!("guess{i}"), peer, &[&format!("192.0.2.{i}")])
            .await;
    }
    let visitor = app.visitor(peer).await;
    let response = app
        .post(
            "/login",
            &visitor,
            &[("username", "csirt"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn forwarded_for_from_a_trusted_proxy_names_the_client() {
    let app = App::with_config(behind_proxies()).await;
    let proxy = SocketAddr::from(([10, 9, 0, 1], 5000));
    // The right-most entry that is not a trusted proxy is the client; what it sent to the left
    // of itself is not believed.
    assert_eq!(
        app.failed_login_through(proxy, &["192.0.2.44"]).await,
        "192.0.2.44"
    );
    assert_eq!(
        app.failed_login_through(proxy, &["203.0.113.5, 192.0.2.45, 10.9.3.3"])
            .await,
        "192.0.2.45"
    );
    assert_eq!(
        app.failed_login_through(proxy, &["203.0.113.5", "192.0.2.46", "10.9.3.3"])
            .await,
        "192.0.2.46"
    );
    // Nothing but proxies: the left-most of them.
    assert_eq!(
        app.failed_login_through(proxy, &["10.9.7.7, 10.9.3.3"])
            .await,
        "10.9.7.7"
    );
    // Garbage ends the walk at the proxy that forwarded it.
    assert_eq!(
        app.failed_login_through(proxy, &["192.0.2.47, not-an-address"])
            .await,
        "10.9.0.1"
    );
    // No header: the proxy itself.
    assert_eq!(app.failed_login_through(proxy, &[]).await, "10.9.0.1");
    let v6 = SocketAddr::from(("2001:db8:9::1".parse::<std::net::IpAddr>().unwrap(), 443));
    assert_eq!(
        app.failed_login_through(v6, &["2001:db8:1::5"]).await,
        "2001:db8:1::5"
    );
}

#[tokio::test]
async fn clients_behind_a_trusted_proxy_are_throttled_apart() {
    let app = App::with_config(behind_proxies()).await;
    let proxy = SocketAddr::from(([10, 9, 0, 1], 5000));
    for i in 0..20 {
        app.failed_login_as(&format!("guess{i}"), proxy, &["192.0.2.1"])
            .await;
    }
    let visitor = app.visitor(proxy).await;
    let login = |client: &'static str| {
        let mut request = Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, &visitor.cookie)
            .header("x-forwarded-for", client);
        request = request.header(header::USER_AGENT, "test");
        let body = form(&[
            ("_csrf", visitor.csrf.as_str()),
            ("username", "csirt"),
            ("password", PASSWORD),
        ]);
        app.send(request.body(Body::from(body)).unwrap(), proxy)
    };
    assert_eq!(
        login("192.0.2.1").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(login("192.0.2.2").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn wrong_password_and_unknown_user_answer_identically() {
    let app = App::new().await;
    let visitor = app.visitor(Who::Staff.address()).await;
    // Same length, so that the echoed name is the only difference to remove.
    let known = app
        .post(
            "/login",
            &visitor,
            &[("username", "staff"), ("password", "not the password")],
        )
        .await;
    let unknown = app
        .post(
            "/login",
            &visitor,
            &[("username", "nobod"), ("password", "not the password")],
        )
        .await;
    assert_eq!(known.status, StatusCode::UNAUTHORIZED);
    assert_eq!(known.status, unknown.status);
    let known_body = known.text().replace("staff", "NAME");
    let unknown_body = unknown.text().replace("nobod", "NAME");
    assert_eq!(known_body, unknown_body);
    let header_names = |r: &Resp| {
        let mut names: Vec<_> = r.headers.keys().map(|k| k.to_string()).collect();
        names.sort();
        names
    };
    assert_eq!(header_names(&known), header_names(&unknown));
    let failed = app.audit("login.failed").await;
    let names: BTreeSet<_> = failed.iter().map(|r| r.event.actor_name.as_str()).collect();
    assert_eq!(names, BTreeSet::from(["staff", "nobod"]));
}

/// An unknown name costs a password verification as a known one does (against a dummy hash),
/// so that the time of the answer tells nothing: each attempt, known or not, is counted once in
/// `/metrics`.
#[tokio::test]
async fn login_with_an_unknown_name_verifies_a_hash_like_a_known_one() {
    let app = App::new().await;
    let verified = async || -> u64 {
        let response = app
            .send(
                Request::get("/metrics").body(Body::empty()).unwrap(),
                SocketAddr::from(([127, 0, 0, 1], 5000)),
            )
            .await;
        response
            .text()
            .lines()
            .find_map(|l| l.strip_prefix("mamori_password_verifications_total "))
            .and_then(|n| n.trim().parse().ok())
            .expect("the verification counter")
    };
    let known = [Who::Ciso, Who::Director, Who::Officer];
    for (i, who) in known.iter().enumerate() {
        for name in [who.name().to_owned(), format!("nobody{i}"), "x".repeat(300)] {
            let before = verified().await;
            let visitor = app
                .visitor(SocketAddr::from(([203, 0, 113, i as u8 + 1], 6000)))
                .await;
            let response = app
                .post(
                    "/login",
                    &visitor,
                    &[("username", &name), ("password", "not the password")],
                )
                .await;
            assert_eq!(response.status, StatusCode::UNAUTHORIZED);
            assert_eq!(
                verified().await,
                before + 1,
                "{name} costs one verification"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 6. Bad input, languages, security headers and cookies

/// Headlines an error page may carry, in the given language: a refused change says why.
fn error_headlines(lang: Lang) -> Vec<&'static str> {
    let refusals = mamori_store::Conflict::ALL
        .iter()
        .map(|c| format!("conflict.{}", c.code()));
    [
        "error.bad_request",
        "error.not_found",
        "error.forbidden",
        "error.csrf",
        "error.method",
        "error.too_large",
        "error.conflict",
    ]
    .map(String::from)
    .into_iter()
    .chain(refusals)
    .map(|k| lang.lookup(&k).unwrap_or_default())
    .collect()
}

/// Whether the response is an error page in the language.
fn localised_error(response: &Resp, lang: Lang) -> bool {
    element_text(&response.text(), "error-headline")
        .is_some_and(|h| error_headlines(lang).contains(&h.as_str()))
}

/// What is wrong with the security headers of a response, if anything.
fn header_problems(response: &Resp) -> Option<String> {
    let get = |name: &str| {
        response
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let csp = get("content-security-policy");
    let mut problems = Vec::new();
    if !csp.contains("default-src 'none'") || !csp.contains("frame-ancestors 'none'") {
        problems.push(format!("CSP {csp:?}"));
    }
    if csp.contains("unsafe-inline") || csp.contains("unsafe-eval") {
        problems.push(format!("unsafe CSP {csp:?}"));
    }
    if get("x-content-type-options") != "nosniff" {
        problems.push("no nosniff".to_owned());
    }
    for cookie in response.headers.get_all(header::SET_COOKIE) {
        let cookie = cookie.to_str().unwrap_or_default();
        if !cookie.contains("; HttpOnly") || !cookie.contains("; SameSite=") {
            problems.push(format!("cookie {cookie:?}"));
        }
    }
    (!problems.is_empty()).then(|| problems.join(", "))
}

#[tokio::test]
async fn unknown_routes_answer_a_localised_not_found_page() {
    let app = App::new().await;
    let staff = app.login(Who::Staff).await;
    for (path, browser) in [
        ("/no/such/page", None),
        ("/people/1/nothing", Some(&staff)),
        ("/api", Some(&staff)),
    ] {
        let response = app.get(path, browser).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}");
        assert!(localised_error(&response, Lang::Ja), "{path}");
        assert_eq!(header_problems(&response), None);
    }
    let english = app
        .send(
            Request::get("/no/such/page")
                .header(header::ACCEPT_LANGUAGE, "en-GB,en;q=0.9,ja;q=0.1")
                .body(Body::empty())
                .unwrap(),
            Who::Anon.address(),
        )
        .await;
    assert_eq!(english.status, StatusCode::NOT_FOUND);
    assert!(localised_error(&english, Lang::En), "{}", english.text());
    // Unknown paths are not found whatever the method, token or no token.
    let post = app.post_raw("/no/such/page", &staff, "a=b").await;
    assert_eq!(post.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn wrong_methods_answer_405_even_without_a_csrf_token() {
    let app = App::new().await;
    let staff = app.login(Who::Staff).await;
    let cases = [
        ("DELETE", "/people"),
        ("PUT", "/organisations"),
        ("PATCH", "/people/1"),
        ("DELETE", "/accounts"),
        ("POST", "/healthz"),
        ("POST", "/metrics"),
        ("POST", "/audit"),
        ("POST", "/account"),
        ("GET", "/logout"),
        ("GET", "/units"),
        ("GET", "/roles/1/revoke"),
        ("PUT", "/login"),
    ];
    for signed_in in [None, Some(&staff)] {
        for (method, path) in cases {
            let mut request = Request::builder().method(method).uri(path);
            if let Some(b) = signed_in {
                request = request.header(header::COOKIE, &b.cookie);
            }
            let response = app
                .send(request.body(Body::empty()).unwrap(), Who::Staff.address())
                .await;
            assert_eq!(
                response.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path} signed in: {}",
                signed_in.is_some()
            );
            assert!(localised_error(&response, Lang::Ja), "{method} {path}");
            assert_eq!(header_problems(&response), None);
        }
    }
}

#[tokio::test]
async fn oversize_forms_answer_413() {
    let app = App::new().await;
    let ciso = app.login(Who::Ciso).await;
    let huge = "a".repeat(3 * 1024 * 1024);
    let body = form(&[("_csrf", &ciso.csrf), ("name", &huge)]);
    let response = app.post_raw("/people", &ciso, body.clone()).await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(localised_error(&response, Lang::Ja), "{}", response.text());
    // With the token in a header the body reaches the form reader, which refuses it too.
    let response = app
        .send(
            Request::post("/people")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, &ciso.cookie)
                .header("x-csrf-token", &ciso.csrf)
                .body(Body::from(format!("name={huge}")))
                .unwrap(),
            ciso.address,
        )
        .await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(localised_error(&response, Lang::Ja), "{}", response.text());
    let anonymous = app.anonymous().await;
    let response = app
        .post(
            "/login",
            &anonymous,
            &[("username", &huge), ("password", "x")],
        )
        .await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn garbage_input_answers_a_localised_4xx() {
    let app = App::new().await;
    let ciso = app.login(Who::Ciso).await;
    let fx = &app.fx;
    let people_before = app.people_count().await;
    let person_a2 = fx.person_a2.to_string();
    let unit_a1 = fx.unit_a1.to_string();
    let long_name = "名".repeat(100_000);
    let person_roles = format!("/people/{person_a2}/roles");
    let disabled = format!("/accounts/{}/disabled", fx.user(Who::NoRole));
    let tasks = format!("/incidents/{}/tasks", fx.incident);
    let lessons = format!("/incidents/{}/lessons", fx.incident_closed);
    let dismiss = format!("/incident-candidates/{}/dismiss", fx.candidate_dismiss[0]);
    let open = format!("/incident-candidates/{}/open", fx.candidate_open[0]);
    let cite = format!("/reviews/{}/incidents", fx.review);
    let person_a1 = fx.person_a1.to_string();
    let open_incident = fx.incident.to_string();
    let form_cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (&tasks, vec![("title", "作業")]),
        (&tasks, vec![("title", ""), ("owner", &person_a1)]),
        (&tasks, vec![("title", "作業"), ("owner", "-1")]),
        (&tasks, vec![("title", "作業"), ("owner", "abc")]),
        (&tasks, vec![("title", "作業"), ("owner", "99999999")]),
        (
            &tasks,
            vec![
                ("title", "作業"),
                ("owner", &person_a1),
                ("due_on", "2026-02-30"),
            ],
        ),
        (
            &tasks,
            vec![("title", "invoice\u{202E}fdp.exe"), ("owner", &person_a1)],
        ),
        (&lessons, vec![("lessons", "")]),
        (&lessons, vec![("lessons", "教訓\u{0}")]),
        (&lessons, vec![("lessons", &long_name)]),
        (&dismiss, vec![("reason", " ")]),
        (&dismiss, vec![]),
        (&open, vec![("title", &long_name)]),
        (&open, vec![("title", "山田\u{1b}[31m")]),
        (&cite, vec![]),
        (&cite, vec![("incidents", "x")]),
        (&cite, vec![("incidents", "-3")]),
        (&cite, vec![("incident-abc", "1")]),
        (&cite, vec![("incidents", &open_incident)]),
        ("/people", vec![]),
        ("/people", vec![("name", ""), ("unit_id", &unit_a1)]),
        ("/people", vec![("name", &long_name), ("unit_id", &unit_a1)]),
        (
            "/people",
            vec![("name", "山田\u{0}太郎"), ("unit_id", &unit_a1)],
        ),
        (
            "/people",
            vec![("name", "山田\u{1b}[31m"), ("unit_id", &unit_a1)],
        ),
        (
            "/people",
            vec![("name", "invoice\u{202E}fdp.exe"), ("unit_id", &unit_a1)],
        ),
        (
            "/people",
            vec![("name", "見えない\u{200B}空白"), ("unit_id", &unit_a1)],
        ),
        ("/people", vec![("name", "山田"), ("unit_id", "abc")]),
        ("/people", vec![("name", "山田"), ("unit_id", "-5")]),
        (
            "/people",
            vec![("name", "山田"), ("unit_id", "99999999999999999999")],
        ),
        ("/people", vec![("name", "山田"), ("unit_id", "999999")]),
        (
            "/people",
            vec![
                ("name", "山田"),
                ("unit_id", &unit_a1),
                ("email", "not-an-address"),
            ],
        ),
        (
            "/organisations",
            vec![("code", "bad code!"), ("name", "機関")],
        ),
        ("/organisations", vec![("code", "ORGA"), ("name", "重複")]),
        ("/units", vec![("org_id", "1e3"), ("name", "課")]),
        (&person_roles, vec![("role", "root"), ("scope", "global")]),
        (
            &person_roles,
            vec![("role", "staff"), ("scope", "unit:abc")],
        ),
        (&person_roles, vec![("role", "staff"), ("scope", "global")]),
        (&disabled, vec![("disabled", "maybe")]),
        (
            "/accounts",
            vec![
                ("username", "a b"),
                ("person_id", "x"),
                ("password", "short"),
            ],
        ),
        ("/account/language", vec![("language", "xx")]),
        (
            "/account/password",
            vec![("current", "wrong"), ("new_password", "short")],
        ),
    ];
    let mut failures = String::new();
    for lang in [Lang::Ja, Lang::En] {
        let mut check = |what: String, response: Resp| {
            if !response.status.is_client_error() || !localised_error(&response, lang) {
                let _ = writeln!(
                    failures,
                    "{what} [{}]: {} {}",
                    lang.code(),
                    response.status,
                    response.text().chars().take(120).collect::<String>()
                );
            }
            if let Some(problem) = header_problems(&response) {
                let _ = writeln!(failures, "{what}: {problem}");
            }
        };
        let request = |method: &str, path: &str, content_type: Option<&str>, body: Vec<u8>| {
            let mut request = Request::builder()
                .method(method)
                .uri(path)
                .header(header::COOKIE, &ciso.cookie)
                .header(header::ACCEPT_LANGUAGE, lang.code())
                .header("x-csrf-token", &ciso.csrf);
            if let Some(ct) = content_type {
                request = request.header(header::CONTENT_TYPE, ct);
            }
            request.body(Body::from(body)).unwrap()
        };
        const FORM: Option<&str> = Some("application/x-www-form-urlencoded");
        for (path, pairs) in &form_cases {
            let response = app
                .send(
                    request("POST", path, FORM, form(pairs).into_bytes()),
                    ciso.address,
                )
                .await;
            check(
                format!(
                    "POST {path} {:?}",
                    pairs
                        .iter()
                        .map(|(k, v)| (k, v.chars().take(12).collect::<String>()))
                        .collect::<Vec<_>>()
                ),
                response,
            );
        }
        let raw_cases: Vec<(&str, Option<&str>, Vec<u8>)> = vec![
            ("/people", FORM, b"name=%FF%FE%FD&unit_id=1".to_vec()),
            ("/people", FORM, b"name=\xff\xfe\x80&unit_id=1".to_vec()),
            ("/people", FORM, b"name=a&name=b&unit_id=1".to_vec()),
            ("/people", FORM, b"%%%%&&&===".to_vec()),
            (
                "/people",
                Some("application/json"),
                br#"{"name":"x"}"#.to_vec(),
            ),
            ("/people", None, b"name=x".to_vec()),
            (
                "/people",
                Some("multipart/form-data; boundary=x"),
                b"--x--".to_vec(),
            ),
        ];
        for (path, content_type, body) in raw_cases {
            let what = format!(
                "POST {path} {content_type:?} {:?}",
                String::from_utf8_lossy(&body)
            );
            let response = app
                .send(request("POST", path, content_type, body), ciso.address)
                .await;
            check(what, response);
        }
        for path in [
            "/people/-1",
            "/people/0",
            "/people/99999999999999999999",
            "/people/1.5",
            "/people/%00",
            "/units/abc",
            "/units/-1",
            "/organisations/abc",
            "/organisations/99999999",
            "/people?unit=abc",
            "/people?unit=-1",
            "/audit?from=2026-13-45",
            "/audit?before=abc",
            "/static/..%2f..%2fCargo.toml",
            "/static/nothing.js",
        ] {
            let response = app
                .send(request("GET", path, None, Vec::new()), ciso.address)
                .await;
            check(format!("GET {path}"), response);
        }
        for path in [
            "/roles/abc/revoke",
            "/accounts/-1/disabled",
            "/account/sessions/x/revoke",
            "/people/99999999999999999999/roles",
        ] {
            let response = app
                .send(
                    request("POST", path, FORM, b"disabled=true".to_vec()),
                    ciso.address,
                )
                .await;
            check(format!("POST {path}"), response);
        }
    }
    assert!(
        failures.is_empty(),
        "garbage not refused with a localised 4xx:\n{failures}"
    );
    assert_eq!(
        app.people_count().await,
        people_before,
        "nothing was created"
    );
}

#[tokio::test]
async fn pages_follow_the_language_setting_and_accept_language() {
    let app = App::new().await;
    let staff = app.login(Who::Staff).await;
    let page = app.get("/account", Some(&staff)).await;
    assert!(page.text().contains("<html lang=\"ja\">"));
    let english = app
        .send(
            Request::get("/account")
                .header(header::COOKIE, &staff.cookie)
                .header(header::ACCEPT_LANGUAGE, "en")
                .body(Body::empty())
                .unwrap(),
            staff.address,
        )
        .await;
    assert!(english.text().contains("<html lang=\"en\">"));
    // The account's setting is kept and comes back at the next login.
    let set = app
        .post("/account/language", &staff, &[("language", "en")])
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER);
    assert_eq!(set.set_cookie("mamori_lang").as_deref(), Some("en"));
    app.post("/logout", &staff, &[]).await;
    let again = app.try_login("staff", PASSWORD, Who::Staff.address()).await;
    assert_eq!(again.set_cookie("mamori_lang").as_deref(), Some("en"));
    let browser = app.browser_from(&again, Who::Staff.address()).await;
    let page = app
        .send(
            Request::get("/people/99999999")
                .header(
                    header::COOKIE,
                    format!("{}; mamori_lang=en", browser.cookie),
                )
                .header(header::ACCEPT_LANGUAGE, "ja")
                .body(Body::empty())
                .unwrap(),
            browser.address,
        )
        .await;
    assert!(
        localised_error(&page, Lang::En),
        "the setting wins over the header"
    );
}

#[tokio::test]
async fn cookies_are_http_only_same_site_and_secure_when_configured() {
    for secure in [false, true] {
        let app = App::with_config(WebConfig {
            secure_cookies: secure,
            ..WebConfig::default()
        })
        .await;
        let page = app
            .send(
                Request::get("/login").body(Body::empty()).unwrap(),
                Who::Staff.address(),
            )
            .await;
        let pre = app.visitor(Who::Staff.address()).await;
        let login = app
            .post(
                "/login",
                &pre,
                &[("username", "staff"), ("password", PASSWORD)],
            )
            .await;
        let cookies: Vec<String> = [&page, &login]
            .iter()
            .flat_map(|r| r.headers.get_all(header::SET_COOKIE))
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        assert!(cookies.iter().any(|c| c.starts_with("mamori_pre=")));
        assert!(cookies.iter().any(|c| c.starts_with("mamori_session=")));
        for cookie in &cookies {
            assert!(cookie.contains("; HttpOnly"), "{cookie}");
            assert!(
                cookie.contains("; SameSite=Lax") || cookie.contains("; SameSite=Strict"),
                "{cookie}"
            );
            assert_eq!(cookie.contains("; Secure"), secure, "{cookie}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 7. Operations

#[tokio::test]
async fn healthz_and_metrics_report_logins() {
    let app = App::new().await;
    let health = app.get("/healthz", None).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.text(), "ok\n");
    app.try_login("staff", "not the password", Who::Staff.address())
        .await;
    app.try_login("nobody", "not the password", Who::Staff.address())
        .await;
    app.login(Who::Csirt).await;
    let loopback = SocketAddr::from(([127, 0, 0, 1], 40000));
    let metrics = app
        .send(
            Request::get("/metrics").body(Body::empty()).unwrap(),
            loopback,
        )
        .await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = metrics.text();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').expect("series and value");
        assert!(value.parse::<f64>().is_ok(), "{line}");
        assert!(series.starts_with("mamori_"), "{line}");
    }
    assert!(text.contains("# TYPE mamori_logins_total counter"));
    assert!(
        text.contains("mamori_logins_total{outcome=\"failed\"} 2\n"),
        "{text}"
    );
    assert!(
        text.contains("mamori_logins_total{outcome=\"success\"} 1\n"),
        "{text}"
    );
    assert!(
        text.contains("mamori_logins_total{outcome=\"throttled\"} 0\n"),
        "{text}"
    );
    assert!(text.contains("mamori_http_responses_total{class=\"4xx\"}"));
}

#[tokio::test]
async fn metrics_answer_only_loopback_peers_or_a_valid_token() {
    let app = App::with_config(behind_proxies()).await;
    let get = |address: SocketAddr, auth: Option<&str>, forwarded: Option<&str>| {
        let mut request = Request::get("/metrics");
        if let Some(auth) = auth {
            request = request.header(header::AUTHORIZATION, auth);
        }
        if let Some(forwarded) = forwarded {
            request = request.header("x-forwarded-for", forwarded);
        }
        app.send(request.body(Body::empty()).unwrap(), address)
    };
    let remote = SocketAddr::from(([192, 0, 2, 8], 5000));
    assert_eq!(get(remote, None, None).await.status, StatusCode::FORBIDDEN);
    assert!(
        get(remote, Some("Bearer not-a-token"), None)
            .await
            .is_login_redirect()
    );
    // A remote client does not become local by saying so, nor through a local proxy.
    assert_eq!(
        get(remote, None, Some("127.0.0.1")).await.status,
        StatusCode::FORBIDDEN
    );
    let v6 = SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, 5000));
    assert_eq!(get(v6, None, None).await.status, StatusCode::OK);
    let (_, token) = app.api_token(Who::SysAdmin, false).await;
    let with_token = get(remote, Some(&format!("Bearer {token}")), None).await;
    assert_eq!(with_token.status, StatusCode::OK);
    assert!(with_token.text().contains("mamori_logins_total"));
}

#[tokio::test]
async fn a_bearer_token_is_not_accepted_on_pages() {
    let app = App::new().await;
    let (_, token) = app.api_token(Who::Ciso, false).await;
    for path in ["/", "/people", "/account", "/audit"] {
        let request = Request::get(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        let response = app.send(request, Who::Ciso.address()).await;
        assert!(response.is_login_redirect(), "{path}: {}", response.status);
    }
    let api = Request::get("/api/v1/people")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        app.send(api, Who::Ciso.address()).await.status,
        StatusCode::OK
    );
}

// ---------------------------------------------------------------------------------------------
// Regressions and further checks

#[tokio::test]
async fn second_factor_guesses_are_throttled() {
    let app = App::new().await;
    let staff = app.login(Who::Staff).await;
    let (secret, recovery) = enrol_totp(&app, &staff).await;
    app.post("/logout", &staff, &[]).await;
    app.clock.advance_secs(60);
    let pending = pending_login(&app, Who::Staff).await;
    for _ in 0..5 {
        let guess = app
            .post("/login/totp", &pending, &[("code", "000000")])
            .await;
        assert_eq!(guess.status, StatusCode::UNAUTHORIZED);
    }
    let code = secret.code_at(app.clock.unix_secs());
    for code in [code.as_str(), recovery[0].as_str()] {
        let refused = app.post("/login/totp", &pending, &[("code", code)]).await;
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(refused.text().contains(Lang::Ja.t("login.throttled")));
        assert!(refused.set_cookie("mamori_session").is_none());
    }
}

#[tokio::test]
async fn password_login_does_not_reset_the_count_of_failed_second_factor_codes() {
    let app = App::new().await;
    let staff = app.login(Who::Staff).await;
    let (secret, _) = enrol_totp(&app, &staff).await;
    app.post("/logout", &staff, &[]).await;
    app.clock.advance_secs(60);
    // Four wrong codes from one address, then a fresh password login from another.
    let pending = pending_login(&app, Who::Staff).await;
    for _ in 0..4 {
        let guess = app
            .post("/login/totp", &pending, &[("code", "000000")])
            .await;
        assert_eq!(guess.status, StatusCode::UNAUTHORIZED);
    }
    let elsewhere = SocketAddr::from(([192, 0, 2, 77], 5000));
    let response = app.try_login("staff", PASSWORD, elsewhere).await;
    assert_eq!(response.location(), Some("/login/totp"));
    let mut again = app.browser_from_pending(&response, elsewhere).await;
    let guess = app.post("/login/totp", &again, &[("code", "000000")]).await;
    assert_eq!(guess.status, StatusCode::UNAUTHORIZED);
    let code = secret.code_at(app.clock.unix_secs());
    let refused = app.post("/login/totp", &again, &[("code", &code)]).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    // Once the window has passed, the right code logs in and the count starts again.
    app.clock.advance_secs(16 * 60);
    let response = app.try_login("staff", PASSWORD, elsewhere).await;
    again = app.browser_from_pending(&response, elsewhere).await;
    let code = secret.code_at(app.clock.unix_secs());
    let done = app.post("/login/totp", &again, &[("code", &code)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
}

impl App {
    async fn browser_from_pending(&self, response: &Resp, address: SocketAddr) -> Browser {
        let cookie = format!(
            "mamori_session={}",
            response
                .set_cookie("mamori_session")
                .expect("pending session")
        );
        let mut browser = Browser {
            cookie,
            csrf: String::new(),
            address,
        };
        let page = self.get("/login/totp", Some(&browser)).await;
        assert_eq!(page.status, StatusCode::OK);
        browser.csrf = hidden_csrf(&page.text()).expect("token on the code form");
        browser
    }
}

#[tokio::test]
async fn path_ids_that_are_not_positive_numbers_answer_the_not_found_page() {
    let app = App::new().await;
    let ciso = app.login(Who::Ciso).await;
    let missing = app.get("/people/99999999", Some(&ciso)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    for path in [
        "/people/99999999999999999999",
        "/people/abc",
        "/people/1.5",
        "/people/-1",
        "/people/0",
        "/people/%20",
    ] {
        let response = app.get(path, Some(&ciso)).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(response.bytes, missing.bytes, "{path}");
    }
    for path in [
        "/units/abc",
        "/organisations/abc",
        "/roles/abc/revoke",
        "/accounts/abc/disabled",
        "/account/sessions/abc/revoke",
    ] {
        let method = if path.ends_with("revoke") || path.ends_with("disabled") {
            "POST"
        } else {
            "GET"
        };
        let response = request(&app, method, path, &ciso, &[("disabled", "true")]).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}");
        assert!(localised_error(&response, Lang::Ja), "{path}");
    }
}

#[tokio::test]
async fn forms_of_another_content_type_or_shape_get_a_localised_error() {
    let app = App::new().await;
    let ciso = app.login(Who::Ciso).await;
    for (content_type, body) in [
        (Some("application/json"), r#"{"name":"山田"}"#),
        (Some("text/plain"), "name=山田"),
        (None, "name=山田"),
        (
            Some("application/x-www-form-urlencoded"),
            "name=a&name=b&unit_id=1",
        ),
    ] {
        let mut request = Request::post("/people")
            .header(header::COOKIE, &ciso.cookie)
            .header("x-csrf-token", &ciso.csrf)
            .header(header::ACCEPT_LANGUAGE, "en");
        if let Some(ct) = content_type {
            request = request.header(header::CONTENT_TYPE, ct);
        }
        let response = app
            .send(request.body(Body::from(body)).unwrap(), ciso.address)
            .await;
        assert!(
            response.status.is_client_error(),
            "{content_type:?}: {}",
            response.status
        );
        assert!(
            localised_error(&response, Lang::En),
            "{content_type:?}: {}",
            response.text()
        );
    }
}

#[tokio::test]
async fn form_bytes_that_are_not_utf8_are_refused_not_replaced() {
    let app = App::new().await;
    let ciso = app.login(Who::Ciso).await;
    let before = app.people_count().await;
    let unit = app.fx.unit_a1.to_string();
    for name in [&b"%FF%FE"[..], &b"\xff\xfe\x80"[..], &b"ok%C3"[..]] {
        let mut body = format!("_csrf={}&unit_id={unit}&name=", ciso.csrf).into_bytes();
        body.extend_from_slice(name);
        let response = app.post_raw("/people", &ciso, body).await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            String::from_utf8_lossy(name)
        );
        assert!(localised_error(&response, Lang::Ja));
    }
    assert_eq!(app.people_count().await, before);
}

#[tokio::test]
async fn disabled_accounts_lose_their_sessions_and_role_changes_apply_at_once() {
    let app = App::new().await;
    let ciso = app.login(Who::Ciso).await;
    let staff = app.login(Who::Staff).await;
    let officer = app.login(Who::Officer).await;
    assert_eq!(
        app.get("/people", Some(&staff)).await.status,
        StatusCode::OK
    );
    let staff_id = app.fx.user(Who::Staff).to_string();
    let off = app
        .post(
            &format!("/accounts/{staff_id}/disabled"),
            &ciso,
            &[("disabled", "true")],
        )
        .await;
    assert_eq!(off.status, StatusCode::SEE_OTHER);
    assert!(app.get("/people", Some(&staff)).await.is_login_redirect());
    let again = app.try_login("staff", PASSWORD, Who::Staff.address()).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    // Nobody disables themselves.
    let ciso_id = app.fx.user(Who::Ciso).to_string();
    let own = app
        .post(
            &format!("/accounts/{ciso_id}/disabled"),
            &ciso,
            &[("disabled", "true")],
        )
        .await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);

    // Revoking the officer's role takes effect on the next request of its open session.
    assert_eq!(
        app.get("/organisations", Some(&officer)).await.status,
        StatusCode::OK
    );
    let officer_person = app
        .store
        .actor(app.fx.user(Who::Officer))
        .await
        .unwrap()
        .unwrap()
        .person_id;
    let place = app
        .store
        .person_place(officer_person)
        .await
        .unwrap()
        .unwrap();
    let detail = authorize::<mamori_core::authz::ViewPersonDetail>(&admin_actor(), &place).unwrap();
    let roles = app.store.roles_of(&detail, officer_person).await.unwrap();
    let revoke = app
        .post(&format!("/roles/{}/revoke", roles[0].id), &ciso, &[])
        .await;
    assert_eq!(revoke.status, StatusCode::SEE_OTHER);
    let unit = app.fx.unit_a1.to_string();
    let create = app
        .post("/people", &officer, &[("name", "新人"), ("unit_id", &unit)])
        .await;
    assert_eq!(create.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn auditors_do_not_see_the_records_of_their_own_unit() {
    let app = App::new().await;
    let staff = app.login(Who::Staff).await;
    let auditor = app.login(Who::Auditor).await;
    let ciso = app.login(Who::Ciso).await;
    // A read in unit A1 (the auditor's own) and one in unit B1.
    let own = app
        .get(&format!("/people/{}", app.fx.person_a1), Some(&staff))
        .await;
    assert_eq!(own.status, StatusCode::OK);
    let other = app
        .get(&format!("/people/{}", app.fx.person_b1), Some(&ciso))
        .await;
    assert_eq!(other.status, StatusCode::OK);
    let target = |id: PersonId| format!("person {id}<");
    let seen_by_ciso = app
        .get("/audit?action=person.read", Some(&ciso))
        .await
        .text();
    assert!(seen_by_ciso.contains(&target(app.fx.person_a1)));
    assert!(seen_by_ciso.contains(&target(app.fx.person_b1)));
    let seen = app.get("/audit?action=person.read", Some(&auditor)).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(seen.text().contains(&target(app.fx.person_b1)));
    assert!(!seen.text().contains(&target(app.fx.person_a1)));
    // Browsing the trail is itself recorded.
    assert!(
        app.audit("audit.view")
            .await
            .iter()
            .any(|r| r.event.actor_name == "auditor")
    );
}

#[tokio::test]
async fn contractors_and_people_without_a_role_see_their_own_record() {
    let app = App::new().await;
    for who in [Who::Contractor, Who::NoRole] {
        let browser = app.login(who).await;
        let me = app
            .fx
            .users
            .iter()
            .find(|(w, _, _)| *w == who)
            .map(|(_, _, p)| *p)
            .unwrap();
        let page = app.get(&format!("/people/{me}"), Some(&browser)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", who.name());
        assert!(page.text().contains(&format!("利用者 {}", who.name())));
        // A read that was answered is the read that is recorded, and no other.
        let reads = app.audit("person.read").await;
        assert!(
            reads
                .iter()
                .any(|r| r.event.actor_name == who.name() && r.event.target_id == me.to_string())
        );
        assert_eq!(
            app.get("/people", Some(&browser)).await.status,
            StatusCode::FORBIDDEN
        );
    }
}

#[tokio::test]
async fn names_with_markup_are_shown_as_text() {
    let app = App::new().await;
    let ciso = app.login(Who::Ciso).await;
    let unit = app.fx.unit_a1.to_string();
    let created = app
        .post(
            "/people",
            &ciso,
            &[
                ("name", "<script>alert(1)</script>\"'&"),
                ("unit_id", &unit),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text());
    let page = app.get(created.location().unwrap(), Some(&ciso)).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(!html.contains("<script>alert"), "markup is escaped");
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62;&#34;&#39;&#38;"),
        "the name is shown as text"
    );
    let list = app.get("/people", Some(&ciso)).await.text();
    assert!(!list.contains("<script>alert"));
}

#[tokio::test]
async fn current_password_guesses_on_the_account_page_are_throttled() {
    let app = App::new().await;
    let staff = app.login(Who::Staff).await;
    for _ in 0..5 {
        let guess = app
            .post(
                "/account/password",
                &staff,
                &[("current", "a wrong guess"), ("new_password", NEW_PASSWORD)],
            )
            .await;
        assert_eq!(guess.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let right = app
        .post(
            "/account/password",
            &staff,
            &[("current", PASSWORD), ("new_password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(localised_error_with(&right, Lang::Ja, "login.throttled"));
    let login = app
        .try_login("staff", NEW_PASSWORD, Who::Staff.address())
        .await;
    assert_eq!(login.status, StatusCode::TOO_MANY_REQUESTS, "not changed");
    app.clock.advance_secs(16 * 60);
    let later = app.try_login("staff", PASSWORD, Who::Staff.address()).await;
    assert_eq!(
        later.status,
        StatusCode::SEE_OTHER,
        "the old password still works"
    );
}

/// A hijacked session alone cannot replace or turn off the second factor: both need the
/// password and a current code of the factor (or a recovery code).
#[tokio::test]
async fn replacing_or_ending_the_second_factor_needs_the_password_and_a_current_code() {
    let app = App::new().await;
    let staff = app.login(Who::Staff).await;
    let (secret, recovery) = enrol_totp(&app, &staff).await;
    let user = app.fx.user(Who::Staff);
    let secret_of = |app: &App| {
        let store = app.store.clone();
        async move { store.credentials(user).await.unwrap().unwrap().totp_secret }
    };
    let first = secret_of(&app).await.expect("enrolled");
    app.clock.advance_secs(60);

    // A new secret, confirmed with its own code, but without proof of the factor it replaces.
    let page = app.get("/account/totp", Some(&staff)).await;
    let new_text = element_text(&page.text(), "totp-secret").expect("secret on the page");
    let new_secret = TotpSecret::from_base32(&new_text).expect("base32");
    let new_code = new_secret.code_at(app.clock.unix_secs());
    let current = secret.code_at(app.clock.unix_secs());
    for (password, current_code) in [
        (PASSWORD, ""),
        ("not the password", current.as_str()),
        (PASSWORD, "000000"),
    ] {
        let refused = app
            .post(
                "/account/totp",
                &staff,
                &[
                    ("secret", &new_text),
                    ("code", &new_code),
                    ("password", password),
                    ("current_code", current_code),
                ],
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{password} / {current_code}"
        );
        assert_eq!(secret_of(&app).await.as_deref(), Some(first.as_str()));
    }
    // Turning it off: a code without the password, the password without a code, a wrong code.
    for pairs in [
        vec![("code", current.as_str())],
        vec![("password", PASSWORD)],
        vec![("password", PASSWORD), ("code", "000000")],
    ] {
        let refused = app.post("/account/totp/disable", &staff, &pairs).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{pairs:?}"
        );
        assert!(
            secret_of(&app).await.is_some(),
            "{pairs:?} turned the factor off"
        );
    }
    // With both, a recovery code standing for the code, it goes.
    let done = app
        .post(
            "/account/totp/disable",
            &staff,
            &[("password", PASSWORD), ("code", &recovery[0])],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert!(secret_of(&app).await.is_none());
}

/// Replaces the signed-in browser's second factor, proving the current one with `current`;
/// returns the new secret and its recovery codes.
async fn re_enrol_totp(app: &App, browser: &Browser, current: &str) -> (TotpSecret, Vec<String>) {
    let page = app.get("/account/totp", Some(browser)).await;
    assert_eq!(page.status, StatusCode::OK);
    let secret_text = element_text(&page.text(), "totp-secret").expect("secret on the page");
    let secret = TotpSecret::from_base32(&secret_text).expect("base32 secret");
    let code = secret.code_at(app.clock.unix_secs());
    let done = app
        .post(
            "/account/totp",
            browser,
            &[
                ("secret", &secret_text),
                ("code", &code),
                ("password", PASSWORD),
                ("current_code", current),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    let codes = recovery_codes(&done.text());
    assert_eq!(codes.len(), 10);
    (secret, codes)
}

/// Re-enrolling with the password and a current code, or a recovery code, replaces the secret
/// and the recovery codes: the old secret's codes and the old recovery codes log in no more.
#[tokio::test]
async fn re_enrolling_the_second_factor_replaces_the_secret_and_the_recovery_codes() {
    let app = App::new().await;
    let staff = app.login(Who::Staff).await;
    let user = app.fx.user(Who::Staff);
    let (first, first_recovery) = enrol_totp(&app, &staff).await;
    let secret_of = || {
        let store = app.store.clone();
        async move { store.credentials(user).await.unwrap().unwrap().totp_secret }
    };
    app.clock.advance_secs(60);

    // Proved by a current code of the factor it replaces.
    let current = first.code_at(app.clock.unix_secs());
    let (second, second_recovery) = re_enrol_totp(&app, &staff, &current).await;
    assert_eq!(secret_of().await, Some(second.to_base32()));
    assert!(second_recovery.iter().all(|c| !first_recovery.contains(c)));
    app.clock.advance_secs(60);
    // Proved by a recovery code of the factor it replaces.
    let (third, third_recovery) = re_enrol_totp(&app, &staff, &second_recovery[0]).await;
    assert_eq!(secret_of().await, Some(third.to_base32()));
    app.post("/logout", &staff, &[]).await;
    app.clock.advance_secs(60);

    let pending = pending_login(&app, Who::Staff).await;
    let now = app.clock.unix_secs();
    for (what, code) in [
        ("the first secret's code", first.code_at(now)),
        ("the second secret's code", second.code_at(now)),
        ("a first recovery code", first_recovery[1].clone()),
        ("a second recovery code", second_recovery[1].clone()),
    ] {
        let refused = app.post("/login/totp", &pending, &[("code", &code)]).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{what} logged in");
    }
    let done = app
        .post("/login/totp", &pending, &[("code", &third.code_at(now))])
        .await;
    assert_eq!(
        (done.status, done.location()),
        (StatusCode::SEE_OTHER, Some("/"))
    );
    let full = app.browser_from(&done, pending.address).await;
    app.post("/logout", &full, &[]).await;
    let again = pending_login(&app, Who::Staff).await;
    let recovered = app
        .post("/login/totp", &again, &[("code", &third_recovery[0])])
        .await;
    assert_eq!(recovered.status, StatusCode::SEE_OTHER);
    assert_eq!(app.audit("account.totp_enable").await.len(), 3);
}

/// A code seen on the screen at login cannot be used again to turn the factor off: turning it
/// off claims the time step as a login does.
#[tokio::test]
async fn a_code_used_at_login_cannot_turn_the_second_factor_off() {
    let app = App::new().await;
    let staff = app.login(Who::Staff).await;
    let (secret, _) = enrol_totp(&app, &staff).await;
    app.post("/logout", &staff, &[]).await;
    app.clock.advance_secs(120);
    let pending = pending_login(&app, Who::Staff).await;
    let code = secret.code_at(app.clock.unix_secs());
    let done = app.post("/login/totp", &pending, &[("code", &code)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let browser = Browser {
        cookie: format!(
            "mamori_session={}",
            done.set_cookie("mamori_session").expect("a new session")
        ),
        csrf: String::new(),
        address: Who::Staff.address(),
    };
    let page = app.get("/account", Some(&browser)).await;
    let browser = Browser {
        csrf: hidden_csrf(&page.text()).expect("token on the account page"),
        ..browser
    };
    let replayed = app
        .post(
            "/account/totp/disable",
            &browser,
            &[("password", PASSWORD), ("code", &code)],
        )
        .await;
    assert_eq!(replayed.status, StatusCode::UNPROCESSABLE_ENTITY);
    let user = app.fx.user(Who::Staff);
    let creds = app.store.credentials(user).await.unwrap().unwrap();
    assert!(
        creds.totp_secret.is_some(),
        "the replayed code turned the factor off"
    );
    app.clock.advance_secs(30);
    let fresh = secret.code_at(app.clock.unix_secs());
    let done = app
        .post(
            "/account/totp/disable",
            &browser,
            &[("password", PASSWORD), ("code", &fresh)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn totp_disable_guesses_are_throttled() {
    let app = App::new().await;
    let staff = app.login(Who::Staff).await;
    let (secret, _) = enrol_totp(&app, &staff).await;
    app.clock.advance_secs(60);
    for _ in 0..5 {
        let guess = app
            .post("/account/totp/disable", &staff, &[("code", "000000")])
            .await;
        assert_eq!(guess.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let code = secret.code_at(app.clock.unix_secs());
    let refused = app
        .post("/account/totp/disable", &staff, &[("code", &code)])
        .await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(localised_error_with(&refused, Lang::Ja, "login.throttled"));
    let user = app.fx.user(Who::Staff);
    let creds = app.store.credentials(user).await.unwrap().unwrap();
    assert!(creds.totp_secret.is_some(), "the factor is still on");
}

fn localised_error_with(response: &Resp, lang: Lang, key: &str) -> bool {
    element_text(&response.text(), "error-headline").as_deref() == Some(lang.t(key))
}

#[tokio::test]
async fn sessions_expire_and_second_factor_pending_ones_sooner() {
    let app = App::new().await;
    let staff = app.login(Who::Staff).await;
    // In use every 20 minutes, the session lives its whole lifetime and no longer.
    for _ in 0..23 {
        app.clock.advance_secs(20 * 60);
        assert_eq!(
            app.get("/account", Some(&staff)).await.status,
            StatusCode::OK
        );
    }
    app.clock.advance_secs(20 * 60 - 60);
    assert_eq!(
        app.get("/account", Some(&staff)).await.status,
        StatusCode::OK
    );
    app.clock.advance_secs(120);
    assert!(app.get("/account", Some(&staff)).await.is_login_redirect());

    let csirt = app.login(Who::Csirt).await;
    let (secret, _) = enrol_totp(&app, &csirt).await;
    let pending = pending_login(&app, Who::Csirt).await;
    app.clock.advance_secs(301);
    let code = secret.code_at(app.clock.unix_secs());
    let late = app.post("/login/totp", &pending, &[("code", &code)]).await;
    assert!(late.set_cookie("mamori_session").is_none());
    assert!(
        late.status == StatusCode::FORBIDDEN || late.is_login_redirect(),
        "{}",
        late.status
    );
}

#[tokio::test]
async fn sessions_end_after_the_idle_time() {
    let app = App::new().await;
    let staff = app.login(Who::Staff).await;
    app.clock.advance_secs(29 * 60);
    assert_eq!(
        app.get("/account", Some(&staff)).await.status,
        StatusCode::OK
    );
    app.clock.advance_secs(31 * 60);
    assert!(app.get("/account", Some(&staff)).await.is_login_redirect());
    // Ended for good: coming back sooner does not revive it.
    app.clock.advance_secs(-60);
    assert!(app.get("/account", Some(&staff)).await.is_login_redirect());

    let app = App::with_config(WebConfig {
        session_idle: std::time::Duration::from_secs(5 * 60),
        ..WebConfig::default()
    })
    .await;
    let staff = app.login(Who::Staff).await;
    app.clock.advance_secs(6 * 60);
    assert!(app.get("/account", Some(&staff)).await.is_login_redirect());
}

#[tokio::test]
async fn a_new_password_ends_the_other_sessions_of_the_account() {
    let app = App::new().await;
    let first = app.login(Who::Staff).await;
    let second = app.login(Who::Staff).await;
    let changed = app
        .post(
            "/account/password",
            &first,
            &[("current", PASSWORD), ("new_password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_eq!(
        app.get("/account", Some(&first)).await.status,
        StatusCode::OK
    );
    assert!(app.get("/account", Some(&second)).await.is_login_redirect());
    let old = app.try_login("staff", PASSWORD, Who::Staff.address()).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let new = app
        .try_login("staff", NEW_PASSWORD, Who::Staff.address())
        .await;
    assert_eq!(new.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_disabled_account_answers_like_an_unknown_name() {
    let app = App::new().await;
    let grant = authorize::<mamori_core::authz::ManageAccounts>(&admin_actor(), &()).unwrap();
    app.store
        .set_account_disabled(
            &grant,
            app.fx.user(Who::NoRole),
            true,
            &Origin::system("test"),
        )
        .await
        .unwrap();
    let visitor = app.visitor(Who::NoRole.address()).await;
    let disabled = app
        .post(
            "/login",
            &visitor,
            &[("username", "norole"), ("password", PASSWORD)],
        )
        .await;
    let unknown = app
        .post(
            "/login",
            &visitor,
            &[("username", "nobody"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(disabled.status, StatusCode::UNAUTHORIZED);
    assert_eq!(disabled.status, unknown.status);
    assert_eq!(
        disabled.text().replace("norole", "NAME"),
        unknown.text().replace("nobody", "NAME")
    );
    assert!(disabled.set_cookie("mamori_session").is_none());
}

#[tokio::test]
async fn pages_are_not_cached() {
    let app = App::new().await;
    let ciso = app.login(Who::Ciso).await;
    for path in ["/", "/account", "/people", "/audit", "/login"] {
        let browser = (path != "/login").then_some(&ciso);
        let response = app.get(path, browser).await;
        assert_eq!(response.status, StatusCode::OK, "{path}");
        assert_eq!(
            response.headers[header::CACHE_CONTROL],
            "no-store",
            "{path}"
        );
        assert_eq!(response.headers[header::X_FRAME_OPTIONS], "DENY");
    }
}

mod api;
mod assets;
mod contracts;
mod directory_login;
mod monitor;
mod tokens;

/// 情報セキュリティ監査 through the pages: the team's notes and findings, the findings and
/// actions as a workbook, the member of an audited unit refused with the reason, and the
/// printable report, after which the audit is closed.
#[tokio::test]
async fn an_audit_refuses_the_audited_and_exports_its_findings_and_report() {
    let app = App::new().await;
    let ciso = app.login(Who::Ciso).await;
    let auditor = app.login(Who::Auditor).await;
    let audit = format!("/audits/{}", app.fx.security_audit);
    let unit_b1 = app.fx.unit_b1.to_string();

    // The person of unit B1 may not audit it: 409 with the reason, nothing added.
    let person_b1 = app.fx.person_b1.to_string();
    let refused = request(
        &app,
        "POST",
        &format!("{audit}/team"),
        &ciso,
        &[("person", &person_b1)],
    )
    .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        refused.text().contains("監査対象の課室に所属する職員は"),
        "{}",
        refused.text()
    );
    let page = request(&app, "GET", &audit, &ciso, &[]).await.text();
    let team = page
        .split("id=\"audit-team\"")
        .nth(1)
        .and_then(|rest| rest.split("</ul>").next())
        .unwrap_or_default();
    assert!(team.contains("利用者 auditor"), "{page}");
    assert!(!team.contains("学務 次郎"), "refused but listed: {team}");

    for (path, pairs) in [
        (
            format!("{audit}/notes"),
            vec![
                ("unit", unit_b1.as_str()),
                ("text", "アクセス記録を確認した"),
            ],
        ),
        (
            format!("{audit}/findings"),
            vec![
                ("unit", unit_b1.as_str()),
                ("kind", "major"),
                ("clause", "6(6)"),
                ("description", "ログの点検記録がない"),
            ],
        ),
    ] {
        let done = request(&app, "POST", &path, &auditor, &pairs).await;
        assert_eq!(done.status.as_u16(), GO, "{path}: {}", done.text());
    }
    let page = request(&app, "GET", &audit, &auditor, &[]).await;
    assert!(page.text().contains("data-state=\"fieldwork\""));

    let workbook = request(&app, "GET", &format!("{audit}/findings.xlsx"), &ciso, &[]).await;
    assert_eq!(workbook.status, StatusCode::OK);
    assert_eq!(
        workbook.headers[header::CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let table = mamori_sheet::read(&workbook.bytes, &mamori_sheet::Limits::default())
        .expect("a workbook mamori reads back");
    assert_eq!(table.rows.len(), 2, "{:?}", table.rows);
    assert_eq!(table.cell(0, 2), "種別");
    assert_eq!(table.cell(1, 2), "重大な不適合");
    assert_eq!(table.cell(1, 5), "ログの点検記録がない");

    let issued = request(
        &app,
        "POST",
        &format!("{audit}/report"),
        &auditor,
        &[("report", "概ね適切に運用されている。")],
    )
    .await;
    assert_eq!(issued.status.as_u16(), GO);
    let report = request(&app, "GET", &format!("{audit}/report"), &ciso, &[]).await;
    let text = report.text();
    assert!(text.contains("id=\"report-signature\""), "{text}");
    assert!(
        text.contains("利用者 auditor"),
        "the lead auditor's name: {text}"
    );
    assert!(!text.contains("id=\"report-draft\""), "{text}");
    assert!(text.contains("ログの点検記録がない"));
    // Closed: no more notes.
    let closed = request(
        &app,
        "POST",
        &format!("{audit}/notes"),
        &auditor,
        &[("text", "追記")],
    )
    .await;
    assert_eq!(closed.status, StatusCode::FORBIDDEN);
}

/// An exception in effect shows against its measure on the unit's checklist.
#[tokio::test]
async fn an_approved_exception_shows_on_the_units_checklist() {
    let app = App::new().await;
    let ciso = app.login(Who::Ciso).await;
    let checklist = format!("/controls/{}/units/{}", app.fx.catalogue, app.fx.unit_a1);
    let before = request(&app, "GET", &checklist, &ciso, &[]).await.text();
    assert!(
        !before.contains("例外措置中"),
        "an undecided exception shown"
    );
    let decided = request(
        &app,
        "POST",
        &format!("/exceptions/{}/decide", app.fx.exception_open[0]),
        &ciso,
        &[("decision", "approve"), ("note", "")],
    )
    .await;
    assert_eq!(decided.status.as_u16(), GO, "{}", decided.text());
    let after = request(&app, "GET", &checklist, &ciso, &[]).await.text();
    assert!(
        after.contains(&format!(
            "href=\"/exceptions/{}\" class=\"flag\"",
            app.fx.exception_open[0]
        )),
        "{after}"
    );
    assert!(after.contains("例外措置中"));
}

// ---------------------------------------------------------------------------------------------
// 研修: the import of completions as the page uploads it

/// The training import form as a browser sends it: `multipart/form-data` with the CSRF field
/// and the file.
async fn upload_completions(app: &App, browser: &Browser, csv: &[u8]) -> Resp {
    let boundary = "----mamoriTrainingBoundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"lms.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n",
        browser.csrf
    )
    .into_bytes();
    body.extend_from_slice(csv);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let request = Request::post("/training/import")
        .header(header::COOKIE, &browser.cookie)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    app.send(request, browser.address).await
}

#[tokio::test]
async fn training_completions_are_imported_on_the_page_and_a_bad_file_names_its_rows() {
    let app = App::new().await;
    let ciso = app.login(Who::Ciso).await;
    let refused = upload_completions(
        &app,
        &ciso,
        "login,course,completed_on\nstaff,SEC-FX,2026-11-20\nnobody,SEC-FX,2026-11-20\n".as_bytes(),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text();
    assert!(
        page.contains("3行目") && page.contains("nobody"),
        "the bad row is named: {page}"
    );
    let (sjis, _, _) = encoding_rs::SHIFT_JIS
        .encode("ログインID,研修コード,修了日\r\nstaff,SEC-FX,2026/11/20\r\n");
    let taken = upload_completions(&app, &ciso, &sjis).await;
    assert_eq!(taken.status, StatusCode::SEE_OTHER);
    let back = taken.location().unwrap_or_default().to_owned();
    assert_eq!(back, "/training?imported=1&unchanged=0");
    let list = app.get(&back, Some(&ciso)).await;
    assert!(
        list.text().contains("1件の完了を取り込みました"),
        "{}",
        list.text()
    );
    // The member of staff sees it done on their own list, without a 完了 button.
    let staff = app.login(Who::Staff).await;
    let own = app.get("/training", Some(&staff)).await.text();
    assert!(own.contains("data-standing=\"completed\""), "{own}");
    assert!(!own.contains("class=\"complete\""), "{own}");
    // Not the staff's to upload.
    let refused = upload_completions(&app, &staff, b"login,course,completed_on\n").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

/// The open incident candidates are a gauge of `/metrics`: the fixture's two per user.
#[tokio::test]
async fn metrics_count_the_open_incident_candidates() {
    let app = App::new().await;
    let response = app
        .send(
            Request::get("/metrics").body(Body::empty()).unwrap(),
            SocketAddr::from(([127, 0, 0, 1], 5000)),
        )
        .await;
    let open: usize = response
        .text()
        .lines()
        .find_map(|l| l.strip_prefix("mamori_incident_candidates_open "))
        .and_then(|n| n.trim().parse().ok())
        .expect("the candidates gauge");
    assert_eq!(open, 2 * EVERYONE.len());
}
