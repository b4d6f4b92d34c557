//! List endpoints: limits, cursors, newest first, stable order within one second.

mod common;

use common::*;

#[tokio::test]
async fn pages_newest_first_without_gaps() {
    let sim = start().await;
    let api = sim.new_api();
    let mut made = Vec::new();
    for _ in 0..7 {
        made.push(api.location().await);
    }
    made.reverse();
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut q = vec![("limit", "3".to_string())];
        if let Some(a) = &after {
            q.push(("starting_after", a.clone()));
        }
        let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = api.get("/v1/terminal/locations", &q).await.ok();
        assert_eq!(page["object"], "list");
        assert_eq!(page["url"], "/v1/terminal/locations");
        let ids: Vec<String> = page["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|l| l["id"].as_str().unwrap_or("").to_string())
            .collect();
        after = ids.last().cloned();
        seen.extend(ids);
        if page["has_more"] == false {
            break;
        }
    }
    assert_eq!(seen, made);
    let before = api
        .get(
            "/v1/terminal/locations",
            &[("ending_before", &made[3]), ("limit", "2")],
        )
        .await
        .ok();
    let ids: Vec<&str> = before["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|l| l["id"].as_str())
        .collect();
    assert_eq!(ids, vec![made[1].as_str(), made[2].as_str()]);
    assert_eq!(before["has_more"], true);
    let default = api.get("/v1/terminal/locations", &[]).await.ok();
    assert_eq!(default["data"].as_array().map(Vec::len), Some(7));
}

#[tokio::test]
async fn limits_outside_1_to_100_are_refused() {
    let sim = start().await;
    let api = sim.new_api();
    for bad in ["0", "101", "-1"] {
        let r = api.get("/v1/terminal/readers", &[("limit", bad)]).await;
        assert_eq!(r.err(400)["param"], "limit");
    }
    let r = api.get("/v1/terminal/readers", &[("limit", "ten")]).await;
    assert_eq!(r.err(400)["code"], "parameter_invalid_integer");
    assert_eq!(
        api.get("/v1/terminal/readers", &[("limit", "100")])
            .await
            .status,
        200
    );
    let r = api
        .get("/v1/terminal/readers", &[("starting_after", "tmr_nope")])
        .await;
    assert_eq!(r.err(400)["param"], "starting_after");
    let r = api.get("/v1/terminal/readers", &[("colour", "red")]).await;
    assert_eq!(r.err(400)["code"], "parameter_unknown");
}

#[tokio::test]
async fn lists_expand_through_data() {
    let sim = start().await;
    let api = sim.new_api();
    api.paid(1000).await;
    let list = api
        .get("/v1/payment_intents", &[("expand[]", "data.latest_charge")])
        .await
        .ok();
    assert_eq!(list["data"][0]["latest_charge"]["object"], "charge");
}
