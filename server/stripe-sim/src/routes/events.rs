//! Events: the account's history of state changes (`GET /v1/events`).

use super::{find_or_404, list as page, CreatedFilter};
use crate::ctx::Ctx;
use crate::errors::SimResult;
use crate::params::Params;
use serde_json::Value;

pub fn list(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(&[
        "limit",
        "starting_after",
        "ending_before",
        "type",
        "types",
        "created",
        "delivery_success",
    ])?;
    let kind = p.str("type")?;
    let kinds = p.strings("types")?;
    let created = CreatedFilter::parse(p)?;
    // `type` takes a trailing wildcard, e.g. `payment_intent.*`.
    let matches = |t: &str, k: &str| {
        k.strip_suffix('*')
            .map_or(t == k, |prefix| t.starts_with(prefix))
    };
    let items = ctx
        .acct()
        .events
        .iter()
        .filter(|e| {
            let t = e["type"].as_str().unwrap_or_default();
            kind.as_ref().is_none_or(|k| matches(t, k))
                && kinds
                    .as_ref()
                    .is_none_or(|ks| ks.iter().any(|k| matches(t, k)))
                && created.matches(e)
        })
        .cloned()
        .collect();
    page(items, p, "/v1/events")
}

pub fn retrieve(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&[])?;
    find_or_404(&mut ctx.acct().events, id, "event").map(|v| v.clone())
}
