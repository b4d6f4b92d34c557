//! Locations: every change goes to Stripe first and our row follows Stripe's answer.

use super::sync::{delete_location_row, upsert_location};
use crate::error::{AppError, AppResult};
use crate::fleet::address::{self, AddressInput};
use crate::fleet::types::{
    AddressView, ConnectionChoice, LocationDetail, LocationView, LocationsView, OperatorAccess,
    ReaderCounts,
};
use crate::model::{Permission, Role};
use crate::ssr::audit::{record, Entry};
use crate::ssr::binds::Binds;
use crate::ssr::caller::Caller;
use crate::ssr::fleet_scope::LocationScope;
use crate::ssr::ids::{new_id, now_ms};
use crate::ssr::stripe_access::{self, from_stripe, Asked};
use crate::topic::Topic;
use fleet_stripe::params::{AddressParams, CreateLocation, UpdateLocation};
use fleet_stripe::{IdempotencyKey, StripeError};
use std::collections::HashMap;

/// What the location form sends.
#[derive(Debug, Clone, Default)]
pub struct LocationForm {
    pub display_name: String,
    pub address: AddressInput,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    connection_id: String,
    connection_name: String,
    kind: String,
    display_name: String,
    line1: String,
    line2: Option<String>,
    city: Option<String>,
    state: Option<String>,
    postal_code: Option<String>,
    country: String,
}

impl Row {
    fn view(self, counts: ReaderCounts) -> LocationView {
        LocationView {
            simulated: self.kind == "simulator",
            id: self.id,
            connection_id: self.connection_id,
            connection_name: self.connection_name,
            display_name: self.display_name,
            address: AddressView {
                line1: self.line1,
                line2: self.line2,
                city: self.city,
                state: self.state,
                postal_code: self.postal_code,
                country: self.country,
            },
            counts,
        }
    }
}

const SELECT: &str =
    "SELECT l.id, l.connection_id, c.name AS connection_name, c.kind, l.display_name,
    l.line1, l.line2, l.city, l.state, l.postal_code, l.country
    FROM locations l JOIN stripe_connections c ON c.id = l.connection_id";

/// Reader counts per location id (`None`: readers without a location) for the caller's tenant.
pub async fn counts(caller: &Caller) -> AppResult<HashMap<Option<String>, ReaderCounts>> {
    let mut binds = Binds::new();
    let scope = LocationScope::for_caller(caller).clause(&mut binds, "tenant_id", "location_id");
    let rows: Vec<(Option<String>, i64, i64, i64, i64, i64)> = binds
        .query_as(&format!(
            "SELECT location_id,
            SUM(CASE WHEN status = 'online' THEN 1 ELSE 0 END),
            SUM(CASE WHEN status = 'offline' THEN 1 ELSE 0 END),
            SUM(CASE WHEN status = 'online' AND action_status = 'in_progress' THEN 1 ELSE 0 END),
            SUM(CASE WHEN alert_since IS NOT NULL THEN 1 ELSE 0 END),
            SUM(CASE WHEN stuck_since IS NOT NULL THEN 1 ELSE 0 END)
         FROM readers WHERE {scope}
         GROUP BY location_id"
        ))
        .fetch_all(&caller.db().pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(location, online, offline, busy, alerts, stuck)| {
            (
                location,
                ReaderCounts {
                    online,
                    offline,
                    busy,
                    alerts,
                    stuck,
                },
            )
        })
        .collect())
}

pub async fn list(caller: &Caller) -> AppResult<LocationsView> {
    let mut binds = Binds::new();
    let scope = LocationScope::for_caller(caller).clause(&mut binds, "l.tenant_id", "l.id");
    let rows: Vec<Row> = binds
        .query_as(&format!(
            "{SELECT} WHERE {scope} ORDER BY l.display_name, l.id"
        ))
        .fetch_all(&caller.db().pool)
        .await?;
    let counts = counts(caller).await?;
    let connections: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT id, name, kind FROM stripe_connections WHERE tenant_id = $1 ORDER BY created_at, id",
    )
    .bind(&caller.tenant_id)
    .fetch_all(&caller.db().pool)
    .await?;
    let can_manage = caller.can(Permission::ManageFleet);
    Ok(LocationsView {
        locations: rows
            .into_iter()
            .map(|r| {
                let c = counts.get(&Some(r.id.clone())).copied().unwrap_or_default();
                r.view(c)
            })
            .collect(),
        // Operators have no use for the tenant's Stripe accounts.
        connections: if can_manage {
            connections
                .into_iter()
                .map(|(id, name, kind)| ConnectionChoice {
                    id,
                    name,
                    simulated: kind == "simulator",
                })
                .collect()
        } else {
            Vec::new()
        },
        can_manage,
    })
}

/// One location the caller may see.
async fn find(caller: &Caller, id: &str) -> AppResult<Row> {
    let mut binds = Binds::new();
    let scope = LocationScope::for_caller(caller).clause(&mut binds, "l.tenant_id", "l.id");
    let id_param = binds.add(id);
    let row: Option<Row> = binds
        .query_as(&format!("{SELECT} WHERE {scope} AND l.id = {id_param}"))
        .fetch_optional(&caller.db().pool)
        .await?;
    row.ok_or_else(|| AppError::not_found("location"))
}

pub async fn detail(caller: &Caller, id: &str) -> AppResult<LocationDetail> {
    let row = find(caller, id).await?;
    let counts = counts(caller).await?;
    let location = row.view(
        counts
            .get(&Some(id.to_string()))
            .copied()
            .unwrap_or_default(),
    );
    let readers = super::readers_service::at_location(caller, id).await?;
    let can_manage = caller.can(Permission::ManageFleet);
    let operators = if can_manage {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT u.id, u.email,
                (SELECT COUNT(*) FROM location_grants g
                 WHERE g.tenant_id = m.tenant_id AND g.user_id = u.id AND g.location_id = $2)
             FROM memberships m JOIN users u ON u.id = m.user_id
             WHERE m.tenant_id = $1 AND m.role = 'operator' ORDER BY u.email",
        )
        .bind(&caller.tenant_id)
        .bind(id)
        .fetch_all(&caller.db().pool)
        .await?;
        rows.into_iter()
            .map(|(user_id, email, granted)| OperatorAccess {
                user_id,
                email,
                granted: granted > 0,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(LocationDetail {
        now: crate::ssr::ids::now_ms(),
        location,
        readers,
        operators,
        can_manage,
    })
}

fn clean(form: &LocationForm) -> AppResult<(String, address::Address)> {
    let name = form.display_name.trim().to_string();
    let mut errors: Vec<(String, String)> = Vec::new();
    if name.is_empty() {
        errors.push((
            "display_name".into(),
            "Give the location a name people recognise, e.g. “Downtown store”.".into(),
        ));
    } else if name.chars().count() > 100 {
        errors.push((
            "display_name".into(),
            "Keep the name under 100 characters.".into(),
        ));
    }
    let address = match address::validate(&form.address) {
        Ok(a) => Some(a),
        Err(field_errors) => {
            errors.extend(
                field_errors
                    .into_iter()
                    .map(|(field, message)| (field.to_string(), message)),
            );
            None
        }
    };
    match address {
        Some(address) if errors.is_empty() => Ok((name, address)),
        _ => Err(AppError::Fields(errors)),
    }
}

fn address_params(a: &address::Address) -> AddressParams {
    AddressParams {
        line1: a.line1.clone(),
        line2: a.line2.clone(),
        city: a.city.clone(),
        state: a.state.clone(),
        postal_code: a.postal_code.clone(),
        country: a.country.clone(),
    }
}

/// Stripe's refusal of a location, on the form field its `param` names.
fn refused(err: StripeError) -> AppError {
    let field = match err.api().and_then(|a| a.param.as_deref()) {
        Some(p) if p.starts_with("address[") => {
            let inner = p.trim_start_matches("address[").trim_end_matches(']');
            match inner {
                "line1" => "line1",
                "line2" => "line2",
                "city" => "city",
                "state" => "state",
                "postal_code" => "postal_code",
                _ => "country",
            }
        }
        _ => "display_name",
    };
    from_stripe(err, Asked::Field(field))
}

pub async fn create(
    caller: &Caller,
    connection_id: &str,
    form: &LocationForm,
) -> AppResult<String> {
    let (name, address) = clean(form)?;
    let access = stripe_access::load(&caller.state, &caller.tenant_id, connection_id).await?;
    let location = access
        .client
        .create_location(
            &access.creds,
            &CreateLocation {
                display_name: name,
                address: address_params(&address),
                metadata: None,
            },
            &IdempotencyKey::new(new_id("op")),
        )
        .await
        .map_err(refused)?;
    let mut tx = caller.db().begin_write().await?;
    upsert_location(&mut tx, &access, &location, now_ms()).await?;
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, "location.created")
            .target("location", &location.id)
            .detail(location.display_name.clone()),
    )
    .await?;
    tx.commit().await?;
    caller
        .state
        .bus
        .publish(&caller.tenant_id, Topic::Locations, Some(&location.id))
        .await;
    Ok(location.id)
}

fn manageable(caller: &Caller) -> AppResult<()> {
    if caller.can(Permission::ManageFleet) {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

pub async fn update(caller: &Caller, id: &str, form: &LocationForm) -> AppResult<()> {
    manageable(caller)?;
    let row = find(caller, id).await?;
    let (name, address) = clean(form)?;
    let access = stripe_access::load(&caller.state, &caller.tenant_id, &row.connection_id).await?;
    let location = access
        .client
        .update_location(
            &access.creds,
            id,
            &UpdateLocation {
                display_name: Some(name),
                address: Some(address_params(&address)),
                metadata: None,
            },
            &IdempotencyKey::new(new_id("op")),
        )
        .await
        .map_err(refused)?;
    let mut tx = caller.db().begin_write().await?;
    upsert_location(&mut tx, &access, &location, now_ms()).await?;
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, "location.updated")
            .target("location", id)
            .detail(location.display_name.clone()),
    )
    .await?;
    tx.commit().await?;
    caller
        .state
        .bus
        .publish(&caller.tenant_id, Topic::Locations, Some(id))
        .await;
    Ok(())
}

/// Deletes a location at Stripe, then here. Stripe removes its readers with it, so a location
/// that has readers is only deleted once the user has confirmed that.
pub async fn delete(caller: &Caller, id: &str, confirmed: bool) -> AppResult<()> {
    manageable(caller)?;
    let row = find(caller, id).await?;
    let readers: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM readers WHERE tenant_id = $1 AND location_id = $2",
    )
    .bind(&caller.tenant_id)
    .bind(id)
    .fetch_one(&caller.db().pool)
    .await?;
    if readers > 0 && !confirmed {
        return Err(AppError::invalid(
            "confirm",
            format!(
                "{} has {}. Deleting it removes them from Stripe too; they must be registered again to take payments. Tick the box to confirm.",
                row.display_name,
                crate::components::list::plural(readers, "reader", "readers")
            ),
        ));
    }
    let access = stripe_access::load(&caller.state, &caller.tenant_id, &row.connection_id).await?;
    match access.client.delete_location(&access.creds, id).await {
        Ok(_) => {}
        // Already gone at Stripe: our row follows.
        Err(e) if e.api().is_some_and(|a| a.status == 404) => {}
        Err(e) => return Err(refused(e)),
    }
    let mut tx = caller.db().begin_write().await?;
    // Stripe deletes a location's readers with it; the next sync would find them gone anyway.
    sqlx::query("DELETE FROM readers WHERE connection_id = $1 AND location_id = $2")
        .bind(&row.connection_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    delete_location_row(&mut tx, &caller.tenant_id, &row.connection_id, id).await?;
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, "location.deleted")
            .target("location", id)
            .detail(format!("{} ({readers} readers)", row.display_name)),
    )
    .await?;
    tx.commit().await?;
    caller
        .state
        .bus
        .publish(&caller.tenant_id, Topic::Locations, Some(id))
        .await;
    caller
        .state
        .bus
        .publish(&caller.tenant_id, Topic::Readers, None)
        .await;
    Ok(())
}

/// Gives or takes an operator's access to one location.
pub async fn set_grant(
    caller: &Caller,
    location_id: &str,
    user_id: &str,
    granted: bool,
) -> AppResult<()> {
    manageable(caller)?;
    let row = find(caller, location_id).await?;
    let role: Option<String> =
        sqlx::query_scalar("SELECT role FROM memberships WHERE tenant_id = $1 AND user_id = $2")
            .bind(&caller.tenant_id)
            .bind(user_id)
            .fetch_optional(&caller.db().pool)
            .await?;
    let email: Option<String> = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(&caller.db().pool)
        .await?;
    match (role.as_deref().and_then(|r| r.parse::<Role>().ok()), email) {
        (Some(Role::Operator), Some(email)) => {
            let mut tx = caller.db().begin_write().await?;
            if granted {
                sqlx::query(
                    "INSERT INTO location_grants (tenant_id, user_id, location_id, created_at)
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .bind(&caller.tenant_id)
                .bind(user_id)
                .bind(location_id)
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
            } else {
                sqlx::query(
                    "DELETE FROM location_grants WHERE tenant_id = $1 AND user_id = $2 AND location_id = $3",
                )
                .bind(&caller.tenant_id)
                .bind(user_id)
                .bind(location_id)
                .execute(&mut *tx)
                .await?;
            }
            let verb = if granted { "granted" } else { "revoked" };
            record(
                &mut tx,
                &caller.meta,
                Entry::by(caller, "location.grant_changed")
                    .target("location", location_id)
                    .detail(format!("{email} {verb} {}", row.display_name)),
            )
            .await?;
            tx.commit().await?;
            caller
                .state
                .bus
                .publish(&caller.tenant_id, Topic::Locations, Some(location_id))
                .await;
            Ok(())
        }
        (Some(_), Some(_)) => Err(AppError::Conflict(
            "Only operators are limited to locations; other roles see every location.".into(),
        )),
        _ => Err(AppError::not_found("member")),
    }
}
