//! Splash screens: an image checked here (type, size), uploaded to Stripe as a file, set on one
//! device type of a configuration; and its bytes, fetched with the account's key and handed
//! to the caller's browser (which cannot read Stripe's file URL itself).

use super::configurations_service::{manageable, refused};
use super::stripe_views::{configuration_id, file_id};
use crate::configurations::types::{SplashOutcome, DEVICE_TYPES, MAX_SPLASH_BYTES};
use crate::error::{AppError, AppResult};
use crate::model::Permission;
use crate::ssr::audit::{record, Entry};
use crate::ssr::caller::Caller;
use crate::ssr::ids::new_id;
use crate::ssr::stripe_access;
use fleet_stripe::params::{ConfigurationParams, Setting, SplashscreenParams, UploadFile};
use fleet_stripe::IdempotencyKey;

/// The largest file a preview fetches: Stripe keeps GIF splash screens up to 4 MB, which may
/// have been set outside Terminal Fleet.
const MAX_PREVIEW_BYTES: usize = 4 * 1024 * 1024;

/// The image's type from its first bytes (never from its name or the browser's word).
pub fn image_kind(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("jpg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("gif")
    } else {
        None
    }
}

/// One upload, as the form sent it.
pub struct SplashUpload<'a> {
    pub connection_id: &'a str,
    pub configuration_id: &'a str,
    pub device_type: &'a str,
    pub bytes: &'a [u8],
}

/// Checks, uploads and sets the splash screen; the outcome names what the page says.
pub async fn upload(caller: &Caller, upload: &SplashUpload<'_>) -> Result<(), SplashOutcome> {
    if manageable(caller).is_err() {
        return Err(SplashOutcome::Forbidden);
    }
    if upload.bytes.is_empty() {
        return Err(SplashOutcome::Missing);
    }
    if upload.bytes.len() > MAX_SPLASH_BYTES {
        return Err(SplashOutcome::TooLarge);
    }
    let Some(kind) = image_kind(upload.bytes) else {
        return Err(SplashOutcome::NotAnImage);
    };
    let Some((device, label)) = DEVICE_TYPES
        .iter()
        .find(|(device, _)| *device == upload.device_type)
    else {
        return Err(SplashOutcome::Refused);
    };
    let id = configuration_id(upload.configuration_id).map_err(|_| SplashOutcome::Refused)?;
    let access = stripe_access::load(&caller.state, &caller.tenant_id, upload.connection_id)
        .await
        .map_err(|e| match e {
            AppError::NotFound(_) => SplashOutcome::Forbidden,
            _ => SplashOutcome::Failed,
        })?;
    let _forget = super::in_force_cache::Forget(&access.connection_id);
    let outcome = |e: fleet_stripe::StripeError| match e.status() {
        Some(s) if (400..500).contains(&s) && s != 401 && s != 429 => {
            tracing::info!(error = %e, "Stripe refused a splash screen");
            SplashOutcome::Refused
        }
        _ => {
            tracing::warn!(error = %e, "splash screen upload failed");
            SplashOutcome::Failed
        }
    };
    let file = access
        .client
        .upload_file(
            &access.creds,
            &UploadFile::splashscreen(format!("splash.{kind}"), upload.bytes.to_vec()),
            &IdempotencyKey::new(new_id("op")),
        )
        .await
        .map_err(outcome)?;
    let setting = Some(Setting::Set(SplashscreenParams {
        splashscreen: file.id.clone(),
    }));
    let mut params = ConfigurationParams::default();
    match *device {
        "bbpos_wisepos_e" => params.bbpos_wisepos_e = setting,
        "bbpos_wisepad3" => params.bbpos_wisepad3 = setting,
        "stripe_s700" => params.stripe_s700 = setting,
        "stripe_s710" => params.stripe_s710 = setting,
        _ => params.verifone_p400 = setting,
    }
    access
        .client
        .update_configuration(
            &access.creds,
            id,
            &params,
            &IdempotencyKey::new(new_id("op")),
        )
        .await
        .map_err(|e| match e.status() {
            Some(404) => SplashOutcome::Forbidden,
            _ => outcome(e),
        })?;
    let audited = async {
        let mut tx = caller.db().begin_write().await?;
        record(
            &mut tx,
            &caller.meta,
            Entry::by(caller, "configuration.splash_uploaded")
                .target("configuration", id)
                .detail(format!(
                    "{label}: {} ({} KB {kind})",
                    file.id,
                    upload.bytes.len().div_ceil(1024)
                )),
        )
        .await?;
        tx.commit().await?;
        Ok::<(), AppError>(())
    };
    audited.await.map_err(|e| {
        tracing::error!(error = %e, "could not audit a splash screen upload");
        SplashOutcome::Failed
    })
}

/// Removes a device type's splash screen from a configuration.
pub async fn remove(
    caller: &Caller,
    connection_id: &str,
    configuration: &str,
    device_type: &str,
) -> AppResult<()> {
    manageable(caller)?;
    let id = configuration_id(configuration)?;
    let Some((device, label)) = DEVICE_TYPES.iter().find(|(d, _)| *d == device_type) else {
        return Err(AppError::invalid("device_type", "Choose a device type."));
    };
    let access = stripe_access::load(&caller.state, &caller.tenant_id, connection_id).await?;
    let _forget = super::in_force_cache::Forget(&access.connection_id);
    let mut params = ConfigurationParams::default();
    let unset = Some(Setting::Unset);
    match *device {
        "bbpos_wisepos_e" => params.bbpos_wisepos_e = unset,
        "bbpos_wisepad3" => params.bbpos_wisepad3 = unset,
        "stripe_s700" => params.stripe_s700 = unset,
        "stripe_s710" => params.stripe_s710 = unset,
        _ => params.verifone_p400 = unset,
    }
    access
        .client
        .update_configuration(
            &access.creds,
            id,
            &params,
            &IdempotencyKey::new(new_id("op")),
        )
        .await
        .map_err(refused)?;
    let mut tx = caller.db().begin_write().await?;
    record(
        &mut tx,
        &caller.meta,
        Entry::by(caller, "configuration.splash_removed")
            .target("configuration", id)
            .detail(label.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A splash screen's bytes and content type, for a caller who may read configurations.
pub async fn image(
    caller: &Caller,
    connection_id: &str,
    file: &str,
) -> AppResult<(&'static str, Vec<u8>)> {
    if !(caller.can(Permission::ManageFleet) || caller.can(Permission::ViewAudit)) {
        return Err(AppError::forbidden());
    }
    let file = file_id(file)?;
    let access = stripe_access::load(&caller.state, &caller.tenant_id, connection_id).await?;
    let meta = access
        .client
        .retrieve_file(&access.creds, file)
        .await
        .map_err(|e| match e.status() {
            Some(404) => AppError::not_found("file"),
            _ => stripe_access::from_stripe(e, stripe_access::Asked::Nothing),
        })?;
    // Only splash screens: other files of the account (signatures, disputes) are not ours to show.
    if meta.purpose != "terminal_reader_splashscreen" {
        return Err(AppError::not_found("file"));
    }
    if meta.size > MAX_PREVIEW_BYTES as i64 {
        return Err(AppError::Conflict(
            "This splash screen is too large to preview here.".into(),
        ));
    }
    let bytes = access
        .client
        .file_contents(&access.creds, file, MAX_PREVIEW_BYTES)
        .await
        .map_err(|e| stripe_access::from_stripe(e, stripe_access::Asked::Nothing))?;
    let content_type = match image_kind(&bytes) {
        Some("png") => "image/png",
        Some("jpg") => "image/jpeg",
        Some("gif") => "image/gif",
        _ => return Err(AppError::not_found("file")),
    };
    Ok((content_type, bytes))
}

#[cfg(test)]
mod tests {
    use super::image_kind;

    #[test]
    fn the_bytes_say_what_an_image_is() {
        assert_eq!(image_kind(b"\x89PNG\r\n\x1a\nrest"), Some("png"));
        assert_eq!(image_kind(&[0xff, 0xd8, 0xff, 0xe0]), Some("jpg"));
        assert_eq!(image_kind(b"GIF89a..."), Some("gif"));
        assert_eq!(image_kind(b"%PDF-1.4"), None);
        assert_eq!(image_kind(b"<svg"), None);
    }
}
