//! Issue 15: the organisation's figures on a real `linkwell-server` agree exactly with the
//! supervisor's laptop over the same synced data (one mapping, one set of rules), and reach a
//! supervisor's device over the API as aggregates only; a link worker's device is refused.

use linkwell_core::Store;
use linkwell_core::app::api::dispatch;
use linkwell_e2e::{
    ServerProcess, add_worker, enrolled_laptops, linkwell_ok, new_org, server_admin,
};
use serde_json::{Value, json};
use std::io::{Read as _, Write as _};
use std::path::Path;

fn open(db: &Path) -> Store {
    if linkwell_core::security::vault::is_encrypted(db) {
        Store::unlock(db, linkwell_e2e::TEST_PASSPHRASE).unwrap()
    } else {
        Store::open(db, None).unwrap()
    }
}

fn token(db: &Path) -> String {
    open(db)
        .conn()
        .query_row("SELECT token FROM sync_state", [], |r| r.get(0))
        .unwrap()
}

fn days_ago(n: i64) -> String {
    let mut d = linkwell_core::store::today();
    for _ in 0..n {
        d = d.pred_opt().unwrap();
    }
    d.to_string()
}

/// POST `body` to `path` with the protocol headers (and a token); answers status and body.
fn post(url: &str, path: &str, token: Option<&str>, body: &str) -> (u16, String) {
    let addr = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let auth = token.map_or(String::new(), |t| format!("authorization: Bearer {t}\r\n"));
    let req = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-type: application/json\r\nlinkwell-protocol: {}\r\nlinkwell-schema: {}\r\n{auth}content-length: {}\r\n\r\n{body}",
        linkwell_protocol::PROTOCOL_VERSION,
        linkwell_core::SCHEMA_VERSION,
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out[9..12].parse().unwrap();
    (status, out.split_once("\r\n\r\n").unwrap().1.to_string())
}

/// The figures without what names the scope (the laptop says "My team", the server "The
/// organisation"): everything else must be the same.
fn figures(mut v: Value) -> Value {
    for k in ["scope", "scope_label"] {
        v.as_object_mut().unwrap().remove(k);
    }
    v
}

#[test]
fn the_organisations_figures_on_the_server_equal_the_supervisors_laptop() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    new_org(&data, &["Rushcliffe"]);
    let workers = [
        add_worker(&data, "Lin Worker", "link_worker", "Rushcliffe"),
        add_worker(&data, "Sue Pervisor", "supervisor", "Rushcliffe"),
    ];
    let server = ServerProcess::start(&data);
    let laptops = enrolled_laptops(dir.path(), &data, &server, &workers);

    // The link worker's caseload: twelve referrals from three sources over four months,
    // sessions attended and missed, ONS4 at T0 for all and at T1 for seven, four closed.
    {
        let mut store = open(&laptops[0]);
        let sources = ["gp", "gp", "self", "gp", "practice_nurse", "gp"];
        for i in 0..12i64 {
            let ago = 130 - i * 9;
            let taken = dispatch(
                &mut store,
                "take_referral",
                json!({ "referral": {
                    "person": { "given_name": format!("Orgperson{i}"), "family_name": "Zedlander" },
                    "referral": { "source": sources[i as usize % 6], "received_on": days_ago(ago), "reasons": ["loneliness"] },
                }}),
            )
            .unwrap();
            let person = taken["person"]["id"].as_str().unwrap().to_string();
            let episode = taken["episode"]["id"].as_str().unwrap().to_string();
            for (k, attendance) in ["attended", "attended", "did_not_attend"]
                .iter()
                .enumerate()
            {
                if (i + k as i64) % 4 == 3 {
                    continue;
                }
                dispatch(
                    &mut store,
                    "record_session",
                    json!({ "person_id": person, "session": {
                        "starts_at": format!("{}T10:00", days_ago(ago - 5 - 7 * k as i64)),
                        "mode": "face_to_face", "attendance": attendance,
                    }}),
                )
                .unwrap();
            }
            let ons4 = |tp: &str, on: String, base: i64| {
                json!({ "person_id": person, "measure": {
                    "instrument": "ons4", "time_point": tp, "taken_on": on,
                    "items": [base, base + 1, base, 9 - base],
                }})
            };
            dispatch(
                &mut store,
                "record_measure",
                ons4("t0", days_ago(ago - 5), 3 + i % 3),
            )
            .unwrap();
            if i < 7 {
                dispatch(
                    &mut store,
                    "record_measure",
                    ons4("t1", days_ago(2), 5 + i % 4),
                )
                .unwrap();
            }
            if i % 3 == 0 {
                dispatch(
                    &mut store,
                    "close_episode",
                    json!({ "episode_id": episode, "reason": "goals_met", "closed_on": days_ago(1) }),
                )
                .unwrap();
            }
        }
    }
    linkwell_ok(&laptops[0], &["sync", "--server", &server.url]);
    linkwell_ok(&laptops[1], &["sync", "--server", &server.url]);

    let (from, to) = (days_ago(200), days_ago(0));
    let period = ["--from", from.as_str(), "--to", to.as_str()];
    let mut args = vec!["--json", "report", "evaluation", "--scope", "my_team"];
    args.extend(period);
    let laptop: Value = serde_json::from_str(&linkwell_ok(&laptops[1], &args)).unwrap();
    let mut args = vec!["report", "evaluation", "--json"];
    args.extend(period);
    let on_server: Value = serde_json::from_str(&server_admin(&data, &args)).unwrap();
    assert_eq!(on_server["scope"], "organisation");
    assert_eq!(
        on_server["funnel"][0]["count"], 12,
        "{}",
        on_server["funnel"]
    );
    assert!(
        on_server["paired"]
            .as_array()
            .is_some_and(|p| !p.is_empty()),
        "paired ONS4 figures"
    );
    assert_eq!(
        figures(laptop),
        figures(on_server.clone()),
        "laptop and server agree"
    );

    // Over the API: the same aggregates for the supervisor's device.
    let body = json!({ "name": "evaluation", "from": from, "to": to }).to_string();
    let (status, text) = post(&server.url, "/v1/report", Some(&token(&laptops[1])), &body);
    assert_eq!(status, 200, "{text}");
    let fetched: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(fetched["evaluation"], on_server);
    assert!(
        !text.contains("Orgperson") && !text.contains("Zedlander"),
        "no names leave"
    );
    // A link worker's device is refused; no token, no answer.
    let (status, text) = post(&server.url, "/v1/report", Some(&token(&laptops[0])), &body);
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("supervisor"), "{text}");
    let (status, _) = post(&server.url, "/v1/report", None, &body);
    assert_eq!(status, 401);
    // A backwards period is refused in words.
    let back = json!({ "name": "evaluation", "from": to, "to": from }).to_string();
    let (status, text) = post(&server.url, "/v1/report", Some(&token(&laptops[1])), &back);
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("before it starts"), "{text}");
}
