//! All stores: one view across a user's organisations, each seen with the user's role there,
//! live across organisations, and a drill-down that switches organisation (audited).

use crate::harness::fleet::{create_location, default_connection, register};
use crate::harness::members::{join, join_as_existing};
use crate::harness::payments::{charge, present};
use crate::harness::stripe::set_reader_state;
use crate::harness::wait::eventually;
use crate::harness::{Browser, TestServer};
use app::stores::types::StoresView;
use reqwest::header::ACCEPT;
use reqwest::StatusCode;
use server::config::{AccountLimits, Config};

async fn stores(b: &Browser, filters: &[(&str, &str)]) -> StoresView {
    b.list("all_stores", filters).await
}

#[tokio::test]
async fn a_franchise_operator_sees_every_store_live_and_opens_one() {
    let s = TestServer::start().await;
    let fran = s.user("fran@example.com").await;
    let own = default_connection(&fran).await;
    let lyon = create_location(&fran, &own, "Lyon").await;
    register(&fran, &lyon, "simulated-wpe", "Lyon till").await;

    let bob = s.user("bob-stores@example.com").await;
    let bobs = default_connection(&bob).await;
    let munich = create_location(&bob, &bobs, "Munich").await;
    let berlin = create_location(&bob, &bobs, "Berlin").await;
    let munich_till = register(&bob, &munich, "simulated-wpe", "Munich till").await;
    register(&bob, &berlin, "simulated-wpe", "Berlin till").await;
    join_as_existing(&bob, &fran, "fran@example.com", "operator").await;
    let fran_id = fran.me().await.expect("me").user_id;
    let () = bob
        .ok(
            "set_location_grant",
            &[
                ("location_id", &munich),
                ("user_id", &fran_id),
                ("granted", "true"),
            ],
        )
        .await;
    let bob_tenant = bob.me().await.expect("bob").tenant.id;
    // Accepting the invite moved her into Bob's organisation; she goes back to her own.
    let fran_me = fran.me().await.expect("me");
    let own_tenant = fran_me
        .tenants
        .iter()
        .find(|t| t.id != bob_tenant)
        .expect("her own")
        .id
        .clone();
    let r = fran
        .call("switch_tenant", &[("tenant_id", &own_tenant)])
        .await;
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "switch_tenant: {}",
        r.status()
    );
    assert_eq!(fran.me().await.expect("me").tenant.id, own_tenant);

    // Her own store and the one granted to her in Bob's organisation; not Berlin.
    let view = stores(&fran, &[]).await;
    let names: Vec<&str> = view.stores.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec!["Lyon", "Munich"]);
    assert_eq!(view.totals.stores, 2);
    assert_eq!(view.totals.online, 2);
    assert_eq!(view.tenants.len(), 2);
    let filtered = stores(&fran, &[("tenant", &bob_tenant)]).await;
    assert_eq!(filtered.stores.len(), 1);
    assert_eq!(filtered.totals.stores, 2, "totals are before the filter");
    assert_eq!(stores(&fran, &[("q", "lyo")]).await.stores.len(), 1);
    let by_name_desc = stores(&fran, &[("sort", "name"), ("dir", "desc")]).await;
    assert_eq!(by_name_desc.stores[0].name, "Munich");

    // A payment in Munich shows as today's takings and the last payment.
    let op = app::payments::ssr::payments_service::new_operation();
    let pi = charge(&bob, &munich_till, "12.50", "automatic", &op).await;
    present(&bob, &munich_till, "4242424242424242", &op).await;
    let view = stores(&fran, &[]).await;
    let m = view
        .stores
        .iter()
        .find(|s| s.name == "Munich")
        .expect("munich");
    assert_eq!(m.today_count, 1);
    assert_eq!(m.today_volume, vec![("usd".to_string(), 1250)]);
    assert_eq!(
        m.last_payment.as_ref().map(|p| p.id.as_str()),
        Some(pi.as_str())
    );

    // Live across organisations: Munich's reader goes offline in Bob's organisation while Fran
    // works in her own; her all-organisations stream says so (without ids: she is an operator
    // there), and the view shows it.
    let response = fran
        .http
        .get(format!("{}/events?all=1", s.base))
        .header(ACCEPT, "text/event-stream")
        .send()
        .await
        .expect("events");
    assert_eq!(response.status(), StatusCode::OK);
    let mut stream = crate::harness::EventStream::from_response(response);
    set_reader_state(&s, &munich_till, "offline").await;
    let mut saw = None;
    for _ in 0..20 {
        match stream.next_message(std::time::Duration::from_secs(5)).await {
            Some(m) if m["topic"] == "readers" => {
                saw = Some(m);
                break;
            }
            Some(_) => continue,
            None => break,
        }
    }
    let saw = saw.expect("a readers message from Bob's organisation");
    assert!(
        saw["id"].is_null(),
        "operators' streams carry no ids: {saw}"
    );
    eventually("Munich shows the offline reader", 10, || async {
        stores(&fran, &[("status", "attention")]).await.stores.len() == 1
    })
    .await;

    // Opening Munich switches Fran to Bob's organisation, audited; Berlin is not hers to open.
    let r = fran
        .call(
            "open_store",
            &[("tenant_id", &bob_tenant), ("location_id", &munich)],
        )
        .await;
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    assert_eq!(fran.me().await.expect("me").tenant.id, bob_tenant);
    let switched = s
        .count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE tenant_id = '{bob_tenant}' AND action = 'tenant.switched' AND detail LIKE 'from All stores%'"
        ))
        .await;
    assert_eq!(switched, 1);
    let (status, _) = fran
        .err(
            "open_store",
            &[("tenant_id", &bob_tenant), ("location_id", &berlin)],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Someone else sees none of it.
    let stranger = s.user("stranger-stores@example.com").await;
    assert!(stores(&stranger, &[]).await.stores.is_empty());
    let (status, _) = stranger
        .err(
            "open_store",
            &[("tenant_id", &bob_tenant), ("location_id", &munich)],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_operator_granted_a_store_group_uses_every_store_in_it() {
    let s = TestServer::start().await;
    let owner = s.user("groups@example.com").await;
    let connection = default_connection(&owner).await;
    let north = create_location(&owner, &connection, "North 1").await;
    let north2 = create_location(&owner, &connection, "North 2").await;
    let south = create_location(&owner, &connection, "South").await;
    register(&owner, &north, "simulated-wpe", "N1").await;
    register(&owner, &north2, "simulated-wpe", "N2").await;
    register(&owner, &south, "simulated-wpe", "S").await;
    let operator = join(&s, &owner, "region-op@example.com", "operator").await;
    let auditor = join(&s, &owner, "region-aud@example.com", "auditor").await;
    let op_id = operator.me().await.expect("op").user_id;
    let aud_id = auditor.me().await.expect("aud").user_id;

    let group: String = owner
        .ok("create_store_group", &[("name", "North region")])
        .await;
    let (_, err) = owner
        .err("create_store_group", &[("name", "North region")])
        .await;
    assert_eq!(err["Invalid"]["field"], "name");
    for location in [&north, &north2] {
        let () = owner
            .ok(
                "set_group_location",
                &[
                    ("group_id", &group),
                    ("location_id", location),
                    ("member", "true"),
                ],
            )
            .await;
    }
    let visible = |b: &Browser| {
        let b = b.clone();
        async move {
            let v: app::fleet::types::ReadersView = b.ok("list_readers", &[]).await;
            let mut labels: Vec<String> = v.readers.into_iter().map(|r| r.label).collect();
            labels.sort();
            labels
        }
    };
    assert!(visible(&operator).await.is_empty());
    let () = owner
        .ok(
            "set_group_grant",
            &[
                ("group_id", &group),
                ("user_id", &op_id),
                ("granted", "true"),
            ],
        )
        .await;
    assert_eq!(visible(&operator).await, vec!["N1", "N2"]);
    let view = stores(&operator, &[]).await;
    assert_eq!(view.stores.len(), 2, "All stores follows the group too");

    // The group changes, the operator's reach follows; South stays out.
    let () = owner
        .ok(
            "set_group_location",
            &[
                ("group_id", &group),
                ("location_id", &north2),
                ("member", "false"),
            ],
        )
        .await;
    assert_eq!(visible(&operator).await, vec!["N1"]);
    let (status, _) = operator.err("reader_detail", &[("id", "tmr_none")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Only operators are limited; operators cannot manage groups; everything is audited.
    let (status, _) = owner
        .err(
            "set_group_grant",
            &[
                ("group_id", &group),
                ("user_id", &aud_id),
                ("granted", "true"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = operator.err("list_store_groups", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = operator
        .err("create_store_group", &[("name", "Mine")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let listed: app::groups::types::StoreGroupsView = auditor.ok("list_store_groups", &[]).await;
    assert_eq!(listed.groups.len(), 1);
    assert!(!listed.can_manage);
    assert_eq!(listed.groups[0].operators.len(), 1);

    // Deleting the group ends the access it gave.
    let () = owner
        .ok("delete_store_group", &[("group_id", &group)])
        .await;
    assert!(visible(&operator).await.is_empty());
    assert_eq!(
        s.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'group.%'")
            .await,
        6
    );
}

#[tokio::test]
async fn a_hundred_and_three_stores_are_filtered_sorted_and_paged_by_the_database() {
    let s = TestServer::start().await;
    let owner = s.user("chain@example.com").await;
    let connection = default_connection(&owner).await;
    let mut made = Vec::new();
    for batch in (0..103).collect::<Vec<_>>().chunks(8) {
        let names: Vec<String> = batch.iter().map(|n| format!("Shop {n:03}")).collect();
        made.extend(
            futures::future::join_all(
                names
                    .iter()
                    .map(|name| create_location(&owner, &connection, name)),
            )
            .await,
        );
    }
    let till = register(&owner, &made[7], "simulated-wpe", "Till").await;
    // A sync pass that listed Stripe's locations before one was created drops that one's row
    // until the next pass brings it back.
    eventually("every store in our rows", 20, || async {
        stores(&owner, &[]).await.matching == 103
    })
    .await;

    let first = stores(&owner, &[]).await;
    assert_eq!((first.matching, first.pages, first.page), (103, 2, 1));
    assert_eq!(first.stores.len(), 100);
    assert_eq!(first.stores[0].name, "Shop 000");
    assert_eq!(first.totals.stores, 103);
    assert_eq!(first.totals.online, 1);
    let second = stores(&owner, &[("page", "2")]).await;
    assert_eq!(second.page, 2);
    let mut seen: Vec<String> = first
        .stores
        .iter()
        .chain(&second.stores)
        .map(|s| s.location_id.clone())
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 103, "every store once over the two pages");
    // A page past the end is the last page; one before the first is the first.
    assert_eq!(stores(&owner, &[("page", "9")]).await.stores, second.stores);
    assert_eq!(stores(&owner, &[("page", "-3")]).await.stores, first.stores);

    let desc = stores(&owner, &[("sort", "name"), ("dir", "desc")]).await;
    assert_eq!(desc.stores[0].name, "Shop 102");
    let online = stores(&owner, &[("sort", "online"), ("dir", "desc")]).await;
    assert_eq!(online.stores[0].location_id, made[7]);
    let found = stores(&owner, &[("q", "shop 10")]).await;
    assert_eq!(
        found
            .stores
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["Shop 100", "Shop 101", "Shop 102"]
    );
    assert_eq!((found.matching, found.pages), (3, 1));
    assert!(
        stores(&owner, &[("q", "100%")]).await.stores.is_empty(),
        "LIKE's wildcards are literal"
    );
    let (status, _) = owner
        .err("all_stores", &[("query[q]", &"x".repeat(101))])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A payment makes its store the first by volume and by last payment.
    let op = app::payments::ssr::payments_service::new_operation();
    charge(&owner, &till, "3", "automatic", &op).await;
    present(&owner, &till, "4242424242424242", &op).await;
    eventually("the takings show", 10, || async {
        stores(&owner, &[("sort", "volume"), ("dir", "desc")])
            .await
            .stores[0]
            .location_id
            == made[7]
    })
    .await;
    let last = stores(&owner, &[("sort", "last"), ("dir", "desc")]).await;
    assert_eq!(last.stores[0].location_id, made[7]);
    assert_eq!(last.totals.today_count, 1);

    // An operator granted two of them sees those two, sorted and paged alike.
    let operator = join(&s, &owner, "op@chain.example", "operator").await;
    let operator_id = operator.me().await.expect("me").user_id;
    for location in [&made[5], &made[99]] {
        let () = owner
            .ok(
                "set_location_grant",
                &[
                    ("location_id", location.as_str()),
                    ("user_id", &operator_id),
                    ("granted", "true"),
                ],
            )
            .await;
    }
    let theirs = stores(&operator, &[("sort", "name"), ("dir", "desc")]).await;
    assert_eq!(
        theirs
            .stores
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["Shop 099", "Shop 005"]
    );
    assert_eq!(
        (theirs.matching, theirs.pages, theirs.totals.stores),
        (2, 1, 2)
    );
}

#[tokio::test]
async fn past_sixty_four_organisations_one_list_of_every_store_keeps_the_page_order() {
    // One account owns them all, past the default cap.
    let s = TestServer::start_with(Some(Box::new(|c: Config| Config {
        accounts: AccountLimits {
            organisations_per_user: 70,
            ..c.accounts
        },
        ..c
    })))
    .await;
    let owner = s.user("big-franchise@example.com").await;
    // 65 organisations besides the one made at sign-up, each with two stores named alike
    // across them, so a page cut between equal names is decided by the organisation.
    for n in 0..65 {
        let () = owner
            .ok("create_tenant", &[("name", &format!("Org {n:03}"))])
            .await;
        let connection = default_connection(&owner).await;
        for name in ["Corner", "Depot"] {
            create_location(&owner, &connection, name).await;
        }
    }
    eventually("every store in our rows", 30, || async {
        stores(&owner, &[]).await.matching == 130
    })
    .await;
    for dir in ["asc", "desc"] {
        let first = stores(&owner, &[("dir", dir)]).await;
        let second = stores(&owner, &[("dir", dir), ("page", "2")]).await;
        assert_eq!(
            (first.stores.len(), second.stores.len()),
            (100, 30),
            "{dir}"
        );
        let listed: Vec<(String, String)> = first
            .stores
            .iter()
            .chain(&second.stores)
            .map(|s| (s.name.clone(), s.tenant_name.clone()))
            .collect();
        let mut expected = listed.clone();
        expected.sort();
        if dir == "desc" {
            expected.reverse();
        }
        assert_eq!(
            listed, expected,
            "{dir}: in the page's order across the cut"
        );
        let mut seen: Vec<&str> = first
            .stores
            .iter()
            .chain(&second.stores)
            .map(|s| s.location_id.as_str())
            .collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 130, "{dir}: every store once");
    }
    assert_eq!(stores(&owner, &[]).await.totals.stores, 130);
}
