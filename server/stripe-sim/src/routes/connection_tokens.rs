//! Connection tokens, for Terminal SDK integrations (completeness; server-driven flows never
//! need one).

use super::find_or_404;
use crate::ctx::Ctx;
use crate::errors::SimResult;
use crate::params::Params;
use serde_json::{json, Value};

pub fn create(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(&["location"])?;
    let location = p.str("location")?;
    if let Some(loc) = &location {
        find_or_404(&mut ctx.acct().locations, loc, "terminal.location")
            .map_err(|e| e.param("location"))?;
    }
    let secret = format!("pst_test_{}", ctx.sim.ids().alphanumeric(40));
    let mut token = json!({ "object": "terminal.connection_token", "secret": secret });
    // Stripe leaves `location` out, rather than null, when the token is not scoped.
    if let Some(loc) = location {
        token["location"] = json!(loc);
    }
    Ok(token)
}
