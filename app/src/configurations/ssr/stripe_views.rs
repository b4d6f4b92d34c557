//! Stripe's configuration as our wire view, and the ids users may send us.

use crate::configurations::types::{ConfigurationView, SplashView, TippingView, DEVICE_TYPES};
use crate::error::{AppError, AppResult};
use fleet_stripe::objects::{DeviceSettings, Expandable, TerminalConfiguration};

fn splash_of(settings: Option<&DeviceSettings>) -> Option<String> {
    settings
        .and_then(|d| d.splashscreen.as_ref())
        .map(|s| match s {
            Expandable::Id(id) => id.clone(),
            Expandable::Object(file) => file.id.clone(),
        })
}

/// The settings of `c` for one device type (Stripe's setting name).
pub fn device_settings<'c>(
    c: &'c TerminalConfiguration,
    device_type: &str,
) -> Option<&'c DeviceSettings> {
    match device_type {
        "bbpos_wisepos_e" => c.bbpos_wisepos_e.as_ref(),
        "bbpos_wisepad3" => c.bbpos_wisepad3.as_ref(),
        "stripe_s700" => c.stripe_s700.as_ref(),
        "stripe_s710" => c.stripe_s710.as_ref(),
        "verifone_p400" => c.verifone_p400.as_ref(),
        _ => None,
    }
}

pub fn view(c: &TerminalConfiguration) -> ConfigurationView {
    ConfigurationView {
        id: c.id.clone(),
        name: c.name.clone().filter(|n| !n.is_empty()),
        is_account_default: c.is_account_default.unwrap_or(false),
        tipping: c
            .tipping
            .iter()
            .flatten()
            .map(|(currency, t)| TippingView {
                currency: currency.clone(),
                percentages: t.percentages.clone().unwrap_or_default(),
                fixed_amounts: t.fixed_amounts.clone().unwrap_or_default(),
                smart_tip_threshold: t.smart_tip_threshold,
            })
            .collect(),
        splash: DEVICE_TYPES
            .iter()
            .filter_map(|(device, _)| {
                splash_of(device_settings(c, device)).map(|file_id| SplashView {
                    device_type: device.to_string(),
                    file_id,
                })
            })
            .collect(),
        reboot_window: c.reboot_window.map(|w| (w.start_hour, w.end_hour)),
    }
}

/// Stripe's ids are letters, digits and underscores after their prefix; anything else is not
/// one (and must never reach a URL path).
fn stripe_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|rest| {
        !rest.is_empty()
            && rest.len() <= 100
            && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

pub fn configuration_id(id: &str) -> AppResult<&str> {
    let id = id.trim();
    if stripe_id(id, "tmc_") {
        Ok(id)
    } else {
        Err(AppError::not_found("reader configuration"))
    }
}

pub fn file_id(id: &str) -> AppResult<&str> {
    if stripe_id(id, "file_") {
        Ok(id)
    } else {
        Err(AppError::not_found("file"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_stripe_shaped_ids_pass() {
        assert!(configuration_id("tmc_123abc").is_ok());
        assert!(configuration_id("tmc_").is_err());
        assert!(configuration_id("tmc_../x").is_err());
        assert!(configuration_id("file_123").is_err());
        assert!(file_id("file_A1_b").is_ok());
        assert!(file_id("file_a?x=1").is_err());
    }
}
