//! Which configuration a location's readers use (its override, else the account default), and
//! choosing the override. Operators see this only for the locations they were given.

use super::configurations_service::{all, manageable, refused};
use super::in_force_cache;
use super::stripe_views::{configuration_id, view};
use crate::configurations::types::{InForce, LocationConfigurationView, Source};
use crate::error::{AppError, AppResult};
use crate::model::Permission;
use crate::ssr::audit::{record, Entry};
use crate::ssr::binds::Binds;
use crate::ssr::caller::Caller;
use crate::ssr::fleet_scope::LocationScope;
use crate::ssr::ids::new_id;
use crate::ssr::stripe_access::{self, from_stripe, Access, Asked};
use crate::topic::Topic;
use fleet_stripe::IdempotencyKey;

/// A location the caller may see: (connection, name, override).
async fn location(caller: &Caller, id: &str) -> AppResult<(String, String, Option<String>)> {
    let mut binds = Binds::new();
    let scope = LocationScope::for_caller(caller).clause(&mut binds, "tenant_id", "id");
    let id_param = binds.add(id);
    let row: Option<(String, String, Option<String>)> = binds
        .query_as(&format!(
            "SELECT connection_id, display_name, configuration_override FROM locations
             WHERE {scope} AND id = {id_param}"
        ))
        .fetch_optional(&caller.db().pool)
        .await?;
    row.ok_or_else(|| AppError::not_found("location"))
}

/// What is in force where `override_id` (a location's) says, read from Stripe; a failure to
/// read is shown on the page rather than failing it. An entry remembered past its minute is
/// shown while one task reads it again, so pages do not all wait for Stripe each minute.
async fn read(access: &Access, source: Source, override_id: Option<&str>) -> InForce {
    let shown = |configuration| InForce {
        source: source.clone(),
        configuration: Some(configuration),
        error: None,
    };
    match in_force_cache::get(&access.connection_id, override_id) {
        in_force_cache::Cached::Fresh(configuration) => return shown(configuration),
        in_force_cache::Cached::Stale(configuration) => {
            // Whoever holds the account's lock is reading it already.
            if let Ok(filling) = in_force_cache::filling(&access.connection_id).try_lock_owned() {
                let (access, source) = (access.clone(), source.clone());
                let override_id = override_id.map(str::to_string);
                tokio::spawn(async move {
                    let _filling = filling;
                    fetch(&access, source, override_id.as_deref()).await;
                });
            }
            return shown(configuration);
        }
        in_force_cache::Cached::Missing => {}
    }
    let filling = in_force_cache::filling(&access.connection_id);
    let _filling = filling.lock().await;
    if let in_force_cache::Cached::Fresh(configuration) =
        in_force_cache::get(&access.connection_id, override_id)
    {
        return shown(configuration);
    }
    fetch(access, source, override_id).await
}

/// Reads what `override_id` (else the account default) is from Stripe and remembers it.
async fn fetch(access: &Access, source: Source, override_id: Option<&str>) -> InForce {
    let found = match override_id {
        Some(id) => access
            .client
            .retrieve_configuration(&access.creds, id, &Default::default())
            .await
            .map(Some),
        None => {
            access
                .client
                .account_default_configuration(&access.creds)
                .await
        }
    };
    match found {
        Ok(Some(c)) => {
            let configuration = view(&c);
            in_force_cache::put(&access.connection_id, override_id, &configuration);
            InForce {
                source,
                configuration: Some(configuration),
                error: None,
            }
        }
        Ok(None) => InForce {
            source,
            configuration: None,
            error: Some("Stripe listed no default configuration for this account.".into()),
        },
        Err(e) if e.status() == Some(404) => InForce {
            source,
            configuration: None,
            error: Some(
                "The location names a configuration Stripe no longer has; choose another one."
                    .into(),
            ),
        },
        Err(e) => InForce {
            source,
            configuration: None,
            error: Some(from_stripe(e, Asked::Nothing).to_string()),
        },
    }
}

/// The reboot window (start and end hour) of the configuration `override_id` names, else the
/// account default's, for the sync's offline alerts; `None` when there is none or Stripe could
/// not say (then alerts are raised as if there were none).
pub async fn reboot_window(access: &Access, override_id: Option<&str>) -> Option<(i64, i64)> {
    read(access, Source::AccountDefault, override_id)
        .await
        .configuration
        .and_then(|c| c.reboot_window)
}

/// The configuration in force for a reader the caller may already see, on `connection_id`, at
/// `location_id`.
pub async fn for_reader(
    caller: &Caller,
    connection_id: &str,
    location_id: Option<&str>,
) -> AppResult<InForce> {
    let place: Option<(String, Option<String>)> = match location_id {
        Some(id) => {
            sqlx::query_as(
                "SELECT display_name, configuration_override FROM locations
                 WHERE tenant_id = $1 AND connection_id = $2 AND id = $3",
            )
            .bind(&caller.tenant_id)
            .bind(connection_id)
            .bind(id)
            .fetch_optional(&caller.db().pool)
            .await?
        }
        None => None,
    };
    let (source, override_id) = match (location_id, place) {
        (Some(id), Some((display_name, Some(cfg)))) => (
            Source::Location {
                id: id.to_string(),
                display_name,
            },
            Some(cfg),
        ),
        _ => (Source::AccountDefault, None),
    };
    let access = match stripe_access::load(&caller.state, &caller.tenant_id, connection_id).await {
        Ok(access) => access,
        Err(e) => {
            return Ok(InForce {
                source,
                configuration: None,
                error: Some(e.to_string()),
            })
        }
    };
    Ok(read(&access, source, override_id.as_deref()).await)
}

pub async fn for_location(
    caller: &Caller,
    location_id: &str,
) -> AppResult<LocationConfigurationView> {
    let (connection_id, display_name, override_id) = location(caller, location_id).await?;
    let source = match &override_id {
        Some(_) => Source::Location {
            id: location_id.to_string(),
            display_name,
        },
        None => Source::AccountDefault,
    };
    let can_manage = caller.can(Permission::ManageFleet);
    let access = stripe_access::load(&caller.state, &caller.tenant_id, &connection_id).await?;
    let in_force = read(&access, source, override_id.as_deref()).await;
    let choices = if can_manage {
        all(&access)
            .await
            .map_err(|e| from_stripe(e, Asked::Nothing))?
            .iter()
            .filter(|c| c.is_account_default != Some(true))
            .map(|c| {
                let v = view(c);
                (v.id.clone(), v.title())
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(LocationConfigurationView {
        location_id: location_id.to_string(),
        in_force,
        override_id,
        choices,
        can_manage,
    })
}

/// Sets the configuration a location's readers use; an empty `configuration_id` returns them
/// to the account default.
pub async fn set_override(
    caller: &Caller,
    location_id: &str,
    configuration: &str,
) -> AppResult<()> {
    manageable(caller)?;
    let (connection_id, display_name, _) = location(caller, location_id).await?;
    let chosen = match configuration.trim() {
        "" => None,
        id => Some(configuration_id(id).map_err(|_| {
            AppError::invalid(
                "configuration_id",
                "Choose one of the listed configurations.",
            )
        })?),
    };
    let access = stripe_access::load(&caller.state, &caller.tenant_id, &connection_id).await?;
    let _forget = super::in_force_cache::Forget(&access.connection_id);
    let title = match chosen {
        Some(id) => {
            let c = access
                .client
                .retrieve_configuration(&access.creds, id, &Default::default())
                .await
                .map_err(|e| match e.status() {
                    Some(404) => AppError::invalid(
                        "configuration_id",
                        "That configuration is not one of this location's Stripe account.",
                    ),
                    _ => refused(e),
                })?;
            if c.is_account_default == Some(true) {
                return Err(AppError::invalid(
                    "configuration_id",
                    "To use the account default, choose “Account default”.",
                ));
            }
            view(&c).title()
        }
        None => "the account default".to_string(),
    };
    let location = access
        .client
        .set_location_configuration(
            &access.creds,
            location_id,
            chosen,
            &IdempotencyKey::new(new_id("op")),
        )
        .await
        .map_err(|e| match e.status() {
            Some(404) => AppError::not_found("location"),
            _ => from_stripe(e, Asked::Field("configuration_id")),
        })?;
    let mut tx = caller.db().begin_write().await?;
    sqlx::query(
        "UPDATE locations SET configuration_override = $1
         WHERE tenant_id = $2 AND connection_id = $3 AND id = $4",
    )
    .bind(location.configuration_overrides.filter(|s| !s.is_empty()))
    .bind(&caller.tenant_id)
    .bind(&connection_id)
    .bind(location_id)
    .execute(&mut *tx)
    .await?;
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, "location.configuration_changed")
            .target("location", location_id)
            .detail(format!("{display_name} uses {title}")),
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
