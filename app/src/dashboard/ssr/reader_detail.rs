//! A reader's page: the reader with its status history, its newest payments, and what the
//! charge panel needs (the account's currency, an operation id, the test cards).

use crate::configurations::ssr::in_force;
use crate::dashboard::types::ReaderDetail;
use crate::error::AppResult;
use crate::fleet::ssr::reader_views::find;
use crate::fleet::types::StatusChange;
use crate::model::Permission;
use crate::payments::ssr::payments_service;
use crate::ssr::caller::Caller;

pub async fn detail(caller: &Caller, id: &str) -> AppResult<ReaderDetail> {
    let reader = find(caller, id).await?;
    let history: Vec<(String, i64)> = sqlx::query_as(
        "SELECT status, at FROM reader_status_events WHERE tenant_id = $1 AND reader_id = $2
         ORDER BY at DESC, id DESC LIMIT 50",
    )
    .bind(&caller.tenant_id)
    .bind(id)
    .fetch_all(&caller.db().pool)
    .await?;
    let kind: Option<String> =
        sqlx::query_scalar("SELECT kind FROM stripe_connections WHERE id = $1 AND tenant_id = $2")
            .bind(&reader.connection_id)
            .bind(&caller.tenant_id)
            .fetch_optional(&caller.db().pool)
            .await?;
    let simulated = kind.as_deref() == Some("simulator");
    let currency = payments_service::default_currency(caller, &reader.connection_id)
        .await
        .unwrap_or_else(|_| "usd".into());
    let payments = payments_service::for_reader(caller, id).await?;
    let configuration =
        in_force::for_reader(caller, &reader.connection_id, reader.location_id.as_deref()).await?;
    Ok(ReaderDetail {
        payments,
        currency,
        op: payments_service::new_operation(),
        test_cards: if simulated {
            payments_service::TEST_CARDS
                .iter()
                .map(|(n, l)| (n.to_string(), l.to_string()))
                .collect()
        } else {
            Vec::new()
        },
        now: crate::ssr::ids::now_ms(),
        reader,
        history: history
            .into_iter()
            .map(|(status, at)| StatusChange {
                online: status == "online",
                at,
            })
            .collect(),
        simulated,
        can_manage: caller.can(Permission::ManageFleet),
        can_operate: caller.can(Permission::Charge),
        configuration,
    })
}
