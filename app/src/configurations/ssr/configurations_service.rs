//! Settings → Reader configurations: list, create, edit, delete, and copy one into the account
//! default. Every change goes to Stripe (the record), is audited, and needs `ManageFleet`.

use super::form::{clean, Cleaned};
use super::stripe_views::{configuration_id, device_settings, view};
use crate::configurations::types::{
    AccountConfigurations, ConfigurationEntry, ConfigurationForm, ConfigurationsView,
    OverridingLocation,
};
use crate::error::{AppError, AppResult};
use crate::model::Permission;
use crate::ssr::audit::{record, Entry};
use crate::ssr::caller::Caller;
use crate::ssr::ids::new_id;
use crate::ssr::stripe_access::{self, from_stripe, Access, Asked, SEALED_COLUMNS};
use crate::topic::Topic;
use fleet_stripe::objects::TerminalConfiguration;
use fleet_stripe::params::{
    ConfigurationParams, CurrencyTippingParams, ListConfigurations, ListParams, RebootWindowParams,
    Setting, SplashscreenParams,
};
use fleet_stripe::{IdempotencyKey, StripeError};

/// Stripe's refusal of a configuration change: an unknown id is "not found" (another account's
/// id looks the same), anything else refused is shown above the form.
pub fn refused(err: StripeError) -> AppError {
    if err.status() == Some(404) {
        return AppError::not_found("reader configuration");
    }
    from_stripe(err, Asked::Field("configuration"))
}

pub fn manageable(caller: &Caller) -> AppResult<()> {
    if caller.can(Permission::ManageFleet) {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

/// Every configuration of `access`'s account, the account default included (Stripe makes it
/// the first time it is asked for).
pub async fn all(access: &Access) -> Result<Vec<TerminalConfiguration>, StripeError> {
    let mut found = Vec::new();
    let mut after: Option<String> = None;
    // Ten pages of a hundred: more configurations than any fleet uses; the rest are not shown.
    for _ in 0..10 {
        let page = access
            .client
            .list_configurations(
                &access.creds,
                &ListConfigurations {
                    page: ListParams {
                        limit: Some(100),
                        starting_after: after.clone(),
                        ending_before: None,
                    },
                    is_account_default: None,
                },
            )
            .await?;
        after = page.data.last().map(|c| c.id.clone());
        found.extend(page.data);
        if !page.has_more || after.is_none() {
            break;
        }
    }
    if !found.iter().any(|c| c.is_account_default == Some(true)) {
        if let Some(default) = access
            .client
            .account_default_configuration(&access.creds)
            .await?
        {
            found.push(default);
        }
    }
    Ok(found)
}

pub async fn list(caller: &Caller) -> AppResult<ConfigurationsView> {
    let rows: Vec<stripe_access::SealedConnection> = sqlx::query_as(&format!(
        "SELECT {SEALED_COLUMNS} FROM stripe_connections WHERE tenant_id = $1 ORDER BY created_at, id"
    ))
    .bind(&caller.tenant_id)
    .fetch_all(&caller.db().pool)
    .await?;
    let names: Vec<(String, String)> =
        sqlx::query_as("SELECT id, name FROM stripe_connections WHERE tenant_id = $1")
            .bind(&caller.tenant_id)
            .fetch_all(&caller.db().pool)
            .await?;
    let overrides: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT connection_id, configuration_override, id, display_name FROM locations
         WHERE tenant_id = $1 AND configuration_override IS NOT NULL ORDER BY display_name, id",
    )
    .bind(&caller.tenant_id)
    .fetch_all(&caller.db().pool)
    .await?;
    let mut accounts = Vec::new();
    for row in rows {
        let name = names
            .iter()
            .find(|(id, _)| *id == row.id)
            .map(|(_, n)| n.clone())
            .unwrap_or_default();
        let mut account = AccountConfigurations {
            connection_id: row.id.clone(),
            connection_name: name,
            simulated: row.kind == "simulator",
            configurations: Vec::new(),
            error: None,
        };
        let listed = match stripe_access::open(&caller.state, &row) {
            Ok(access) => all(&access)
                .await
                .map_err(|e| from_stripe(e, Asked::Nothing)),
            Err(e) => Err(e),
        };
        match listed {
            Ok(configurations) => {
                account.configurations = configurations
                    .iter()
                    .map(|c| ConfigurationEntry {
                        configuration: view(c),
                        locations: overrides
                            .iter()
                            .filter(|(conn, cfg, ..)| *conn == row.id && *cfg == c.id)
                            .map(|(_, _, id, display_name)| OverridingLocation {
                                id: id.clone(),
                                display_name: display_name.clone(),
                            })
                            .collect(),
                    })
                    .collect();
            }
            Err(e) => account.error = Some(e.to_string()),
        }
        accounts.push(account);
    }
    Ok(ConfigurationsView {
        accounts,
        can_manage: caller.can(Permission::ManageFleet),
    })
}

async fn audit(caller: &Caller, action: &str, id: &str, detail: String) -> AppResult<()> {
    let mut tx = caller.db().begin_write().await?;
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, action)
            .target("configuration", id)
            .detail(detail),
    )
    .await?;
    tx.commit().await?;
    // Pages showing a configuration in force (locations, readers) read it again.
    caller
        .state
        .bus
        .publish(&caller.tenant_id, Topic::Locations, None)
        .await;
    Ok(())
}

fn describe(c: &Cleaned) -> String {
    let tipping: Vec<String> = c.tipping.keys().map(|k| k.to_uppercase()).collect();
    format!(
        "{}; tipping: {}; reboot window: {}",
        c.name.as_deref().unwrap_or("(unnamed)"),
        if tipping.is_empty() {
            "none".to_string()
        } else {
            tipping.join(", ")
        },
        c.reboot_window
            .map(|w| format!("{}:00–{}:00", w.start_hour, w.end_hour))
            .unwrap_or_else(|| "none".into())
    )
}

pub async fn create(
    caller: &Caller,
    connection_id: &str,
    form: &ConfigurationForm,
) -> AppResult<String> {
    manageable(caller)?;
    let access = stripe_access::load(&caller.state, &caller.tenant_id, connection_id).await?;
    let _forget = super::in_force_cache::Forget(&access.connection_id);
    let cleaned = clean(form, true)?;
    let created = access
        .client
        .create_configuration(
            &access.creds,
            &cleaned.create_params(),
            &IdempotencyKey::new(new_id("op")),
        )
        .await
        .map_err(refused)?;
    audit(
        caller,
        "configuration.created",
        &created.id,
        describe(&cleaned),
    )
    .await?;
    Ok(created.id)
}

async fn retrieve(access: &Access, id: &str) -> AppResult<TerminalConfiguration> {
    access
        .client
        .retrieve_configuration(&access.creds, id, &Default::default())
        .await
        .map_err(refused)
}

pub async fn update(
    caller: &Caller,
    connection_id: &str,
    id: &str,
    form: &ConfigurationForm,
) -> AppResult<()> {
    manageable(caller)?;
    let id = configuration_id(id)?;
    let access = stripe_access::load(&caller.state, &caller.tenant_id, connection_id).await?;
    let _forget = super::in_force_cache::Forget(&access.connection_id);
    let current = retrieve(&access, id).await?;
    let is_default = current.is_account_default == Some(true);
    let cleaned = clean(form, !is_default)?;
    access
        .client
        .update_configuration(
            &access.creds,
            id,
            &cleaned.update_params(),
            &IdempotencyKey::new(new_id("op")),
        )
        .await
        .map_err(refused)?;
    audit(caller, "configuration.updated", id, describe(&cleaned)).await
}

pub async fn delete(caller: &Caller, connection_id: &str, id: &str) -> AppResult<()> {
    manageable(caller)?;
    let id = configuration_id(id)?;
    let access = stripe_access::load(&caller.state, &caller.tenant_id, connection_id).await?;
    let _forget = super::in_force_cache::Forget(&access.connection_id);
    let current = retrieve(&access, id).await?;
    if current.is_account_default == Some(true) {
        return Err(AppError::Conflict(
            "The account default cannot be deleted: Stripe keeps one for every account. Edit it instead.".into(),
        ));
    }
    // Stripe would leave a location naming a configuration that no longer exists.
    let users: Vec<String> = sqlx::query_scalar(
        "SELECT display_name FROM locations WHERE tenant_id = $1 AND connection_id = $2
         AND configuration_override = $3 ORDER BY display_name",
    )
    .bind(&caller.tenant_id)
    .bind(connection_id)
    .bind(id)
    .fetch_all(&caller.db().pool)
    .await?;
    if !users.is_empty() {
        return Err(AppError::Conflict(format!(
            "{} use this configuration. Choose another one for them on their pages first.",
            users.join(", ")
        )));
    }
    match access.client.delete_configuration(&access.creds, id).await {
        Ok(_) => {}
        Err(e) => return Err(refused(e)),
    }
    audit(
        caller,
        "configuration.deleted",
        id,
        current.name.unwrap_or_else(|| id.to_string()),
    )
    .await
}

/// Stripe lets no one choose which configuration is the account default (the one it
/// provisions is): "make it the default" copies its settings into that one, so every reader
/// without a location override uses them.
pub async fn copy_to_default(caller: &Caller, connection_id: &str, id: &str) -> AppResult<()> {
    manageable(caller)?;
    let id = configuration_id(id)?;
    let access = stripe_access::load(&caller.state, &caller.tenant_id, connection_id).await?;
    let _forget = super::in_force_cache::Forget(&access.connection_id);
    let source = retrieve(&access, id).await?;
    if source.is_account_default == Some(true) {
        return Err(AppError::Conflict(
            "This is already the account default.".into(),
        ));
    }
    let default = access
        .client
        .account_default_configuration(&access.creds)
        .await
        .map_err(refused)?
        .ok_or_else(|| AppError::internal("Stripe listed no account default configuration"))?;
    access
        .client
        .update_configuration(
            &access.creds,
            &default.id,
            &settings_of(&source),
            &IdempotencyKey::new(new_id("op")),
        )
        .await
        .map_err(refused)?;
    audit(
        caller,
        "configuration.copied_to_default",
        &default.id,
        format!(
            "Settings of {} copied into the account default",
            source.name.as_deref().unwrap_or(id)
        ),
    )
    .await
}

/// Every setting of `c` as update parameters, removing in the target what `c` does not set.
fn settings_of(c: &TerminalConfiguration) -> ConfigurationParams {
    let splash = |device: &str| {
        Some(
            match device_settings(c, device)
                .and_then(|d| d.splashscreen.as_ref())
                .map(|s| match s {
                    fleet_stripe::objects::Expandable::Id(id) => id.clone(),
                    fleet_stripe::objects::Expandable::Object(f) => f.id.clone(),
                }) {
                Some(file) => Setting::Set(SplashscreenParams { splashscreen: file }),
                None => Setting::Unset,
            },
        )
    };
    ConfigurationParams {
        name: None,
        bbpos_wisepos_e: splash("bbpos_wisepos_e"),
        bbpos_wisepad3: splash("bbpos_wisepad3"),
        stripe_s700: splash("stripe_s700"),
        stripe_s710: splash("stripe_s710"),
        verifone_p400: splash("verifone_p400"),
        tipping: Some(match &c.tipping {
            Some(t) if !t.is_empty() => Setting::Set(
                t.iter()
                    .map(|(currency, t)| {
                        (
                            currency.clone(),
                            CurrencyTippingParams {
                                percentages: t.percentages.clone().filter(|l| !l.is_empty()),
                                fixed_amounts: t.fixed_amounts.clone().filter(|l| !l.is_empty()),
                                smart_tip_threshold: t.smart_tip_threshold,
                            },
                        )
                    })
                    .collect(),
            ),
            _ => Setting::Unset,
        }),
        reboot_window: Some(match c.reboot_window {
            Some(w) => Setting::Set(RebootWindowParams {
                start_hour: w.start_hour.clamp(0, 23) as u8,
                end_hour: w.end_hour.clamp(0, 23) as u8,
            }),
            None => Setting::Unset,
        }),
        offline: None,
    }
}
